"""Admins acting on users: find them, show one, set a role, ban and unban.

Rules, the same for every command (README "Admin tools"):

- only an admin may act (``Forbidden``); an admin cannot demote or ban themselves, an admin
  must be demoted before being banned, and the ``ADMIN_IDS`` of the settings are admins
  whatever is done in chat (they are made admins again when they write), so demoting or
  banning one is refused with that reason;
- an unknown Telegram id is acted on like a known one: a row is made for it holding the
  decision, which applies when that person first writes (under ``REGISTRATION=closed`` this is
  how an admin lets someone in). A ban made that way never lets them in when lifted: under
  ``approval`` and ``closed`` the row is refused until an admin gives them a role;
- a change that changes nothing (the role they have, a second ban, lifting no ban) is reported
  as such (``UserChange.changed`` False): nothing is written and nothing audited;
- every change is audited with what it was (the role before and after) and the target's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.config_access import AccessSettings, Registration
from core.db.models import User
from core.db.repositories.admin import AdminRepository
from core.db.repositories.audit import AuditRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import Access, Role
from core.errors import Forbidden, NotFound, UserError
from services.admin.dto import UserCard, UserChange
from services.dto import UserView
from services.users import UserService, to_view

MAX_FOUND: Final = 500
SEEN_EVERY: Final = timedelta(minutes=5)  # how stale "last seen" may be; bounds the writes
SEEN_MEMORY: Final = 100_000
SEEDED: Final = (
    "That user is in ADMIN_IDS, an admin whatever is done here: remove them from ADMIN_IDS "
    "in the settings first."
)


def require_admin(actor: UserView | None) -> UserView:
    if actor is None or actor.role is not Role.ADMIN:
        raise Forbidden()
    return actor


class AdminUserService:
    """Users as admins see and change them; ``users`` is told of each change (its cache)."""

    def __init__(
        self,
        db: Database,
        users: UserService,
        access: AccessSettings | None = None,
        *,
        admin_ids: Iterable[int] = (),
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._admin_ids = frozenset(admin_ids)
        self._users = users
        self._access = access or AccessSettings()
        self._clock = clock
        self._seen: dict[int, datetime] = {}  # user id -> last time written from here

    async def seen(self, user: UserView) -> None:
        """The user wrote to the bot: remember when (in the database at most every
        ``SEEN_EVERY`` per user and process, so a busy user costs no write per update)."""
        now = self._clock()
        last = self._seen.get(user.id)
        if last is not None and now - last < SEEN_EVERY:
            return
        if len(self._seen) >= SEEN_MEMORY:
            self._seen.clear()
        self._seen[user.id] = now
        async with self._db.transaction() as session:
            await AdminRepository(session).touch(user.id, now)

    async def find(self, actor: UserView | None, query: str = "") -> list[UserView]:
        """``/users [query]``: by @username, name or id (everyone when empty), newest first."""
        require_admin(actor)
        async with self._db.session() as session:
            found = await AdminRepository(session).find_users(query[:64], limit=MAX_FOUND)
            return [to_view(u) for u in found]

    async def card(self, actor: UserView | None, telegram_id: int) -> UserCard:
        """``/user <id>``; NotFound when the bot has no row for that id."""
        require_admin(actor)
        async with self._db.session() as session:
            user = await UserRepository(session).by_telegram_id(telegram_id)
            if user is None:
                raise NotFound(
                    f"No user with Telegram id {telegram_id}: they never wrote to the bot and "
                    "no admin has acted on them."
                )
            repo = AdminRepository(session)
            seen = await repo.last_seen([user.id])
            return UserCard(
                user=to_view(user),
                registered_at=user.created_at,
                last_seen=seen.get(user.id),
                accounts=await repo.accounts_of(user.id),
                open_plans=await repo.open_plans_of(user.id),
            )

    async def set_role(self, actor: UserView | None, telegram_id: int, role: Role) -> UserChange:
        """``/role`` and ``/grant``: give ``role`` (and let them in if they were not)."""
        admin = require_admin(actor)
        if admin.telegram_id == telegram_id and role is not Role.ADMIN:
            raise UserError("You cannot demote yourself; ask another admin.")
        if telegram_id in self._admin_ids and role is not Role.ADMIN:
            raise UserError(SEEDED)
        async with self._db.transaction() as session:
            user = await UserRepository(session).by_telegram_id(telegram_id)
            created = user is None
            if user is None:
                user = await self._new_user(session, telegram_id, role, Access.GRANTED)
            elif (user.role, user.access) == (role, Access.GRANTED):
                return UserChange(to_view(user), changed=False, before=role.value)
            before = "none (new)" if created else user.role.value
            user.role, user.access = role, Access.GRANTED
            await self._audit(
                session, admin, "role_granted", user, {"from": before, "to": role.value}
            )
            view = to_view(user)
        await self._users.invalidate(telegram_id)
        return UserChange(view, changed=True, created=created, before=before)

    async def set_banned(
        self, actor: UserView | None, telegram_id: int, banned: bool
    ) -> UserChange:
        """``/ban`` and ``/unban``."""
        admin = require_admin(actor)
        if admin.telegram_id == telegram_id:
            raise UserError("You cannot ban yourself." if banned else "You are not banned.")
        if telegram_id in self._admin_ids and banned:
            raise UserError(SEEDED)
        async with self._db.transaction() as session:
            user = await UserRepository(session).by_telegram_id(telegram_id)
            if user is None and not banned:  # nobody to lift a ban from: a no-op, no row
                return UserChange(_unknown(telegram_id), changed=False)
            created = user is None
            if user is None:
                role, access = self._banned_stranger()
                user = await self._new_user(session, telegram_id, role, access)
            elif user.is_banned == banned:
                return UserChange(to_view(user), changed=False)
            if user.role is Role.ADMIN and banned:
                raise UserError("Demote an admin before banning them.")
            user.is_banned = banned
            action = "user_banned" if banned else "user_unbanned"
            await self._audit(session, admin, action, user, {})
            view = to_view(user)
        await self._users.invalidate(telegram_id)
        return UserChange(view, changed=True, created=created)

    def _banned_stranger(self) -> tuple[Role, Access]:
        """A row made by banning an unknown id: lifting the ban later must not let in someone
        the registration rules would keep out."""
        if self._access.registration is Registration.OPEN:
            return Role(self._access.default_role), Access.GRANTED
        return Role.VIEWER, Access.REFUSED

    @staticmethod
    async def _new_user(
        session: AsyncSession, telegram_id: int, role: Role, access: Access
    ) -> User:
        user, _ = await UserRepository(session).get_or_create(telegram_id, role=role)
        user.access = access
        return user

    @staticmethod
    async def _audit(
        session: AsyncSession, admin: UserView, action: str, user: User, details: dict[str, Any]
    ) -> None:
        await AuditRepository(session).add(
            action,
            actor_user_id=admin.id,
            target=str(user.telegram_id),
            details={**details, "name": to_view(user).display_name},
        )


def _unknown(telegram_id: int) -> UserView:
    return UserView(
        id=0, telegram_id=telegram_id, username=None, first_name=None, role=Role.VIEWER,
        is_banned=False,
    )  # fmt: skip
