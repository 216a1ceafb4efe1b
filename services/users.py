"""Users: registration, admin seeding, roles, bans; every privileged change is audited.

Registration follows ``REGISTRATION`` (core/config_access.py): ``open`` creates a stranger
with ``DEFAULT_ROLE``; ``approval`` creates them *pending* with the viewer role, asks every
admin (outbox rows with Approve / Refuse buttons) and gives ``DEFAULT_ROLE`` only when an admin
lets them in; ``closed`` creates nobody (``resolve`` returns None). ``ADMIN_IDS`` always get in
as admins, and ``/grant`` lets anyone in. Invariant: a user whose access is not ``granted``
never has more than the viewer role.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, TypedDict

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import Cache
from core.config_access import AccessSettings, Registration
from core.db.models import User
from core.db.repositories.audit import AuditRepository
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import Access, Role
from core.errors import Forbidden, NotFound, UserError
from services.dto import UserView
from services.notifications import enqueue, enqueue_to_admins

log = structlog.get_logger(__name__)
Buttons = list[list[dict[str, Any]]]


class AccessMessages(Protocol):
    """The registration notices (HTML and buttons, rendered by the handler layer)."""

    def newcomer(self, user: UserView) -> tuple[str, Buttons]: ...
    def decided(self, user: UserView) -> str: ...


def to_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        telegram_id=user.telegram_id,
        username=user.username,
        first_name=user.first_name,
        role=user.role,
        is_banned=user.is_banned,
        is_active=user.is_active,
        has_pin=user.pin_hash is not None,
        access=user.access,
    )


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise UserError(f"Unknown role {text.strip()[:20]!r}; use one of: {names}.") from None


LOCAL_TTL_S = 5.0
LOCAL_MAX = 50_000


def _cache_key(telegram_id: int) -> str:
    return f"user:{telegram_id}"


class CachedUser(TypedDict):
    """A user as the shared cache holds it (JSON)."""

    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    role: str
    is_banned: bool
    is_active: bool
    has_pin: bool
    access: str


def _to_cache(view: UserView) -> CachedUser:
    return {
        "id": view.id,
        "telegram_id": view.telegram_id,
        "username": view.username,
        "first_name": view.first_name,
        "role": view.role.value,
        "is_banned": view.is_banned,
        "is_active": view.is_active,
        "has_pin": view.has_pin,
        "access": view.access.value,
    }


def _from_cache(data: CachedUser) -> UserView:
    return UserView(
        id=int(data["id"]),
        telegram_id=int(data["telegram_id"]),
        username=data["username"],
        first_name=data["first_name"],
        role=Role(str(data["role"])),
        is_banned=bool(data["is_banned"]),
        is_active=bool(data["is_active"]),
        has_pin=bool(data["has_pin"]),
        access=Access(data.get("access", Access.GRANTED)),  # entries cached before the field
    )


class UserService:
    def __init__(
        self,
        db: Database,
        admin_ids: Iterable[int] = (),
        cache: Cache | None = None,
        cache_ttl_s: int = 300,
        *,
        access: AccessSettings | None = None,
        messages: AccessMessages | None = None,
    ) -> None:
        self._db = db
        self._access = access or AccessSettings()
        self._messages = messages
        self._admin_ids = frozenset(admin_ids)
        self._cache = cache
        self._ttl = cache_ttl_s
        # A short in-process front for the shared cache: a hot user costs no round trip at all.
        # Changes made here drop it at once; changes made by another process show within
        # LOCAL_TTL_S.
        self._local: dict[int, tuple[float, UserView]] = {}

    async def invalidate(self, telegram_id: int) -> None:
        self._local.pop(telegram_id, None)
        if self._cache is not None:
            await self._cache.delete(_cache_key(telegram_id))

    async def resolve(
        self, telegram_id: int, username: str | None, first_name: str | None
    ) -> tuple[UserView | None, bool]:
        """Like ``ensure`` but served from the cache for known, unchanged users (no DB trip)."""
        now = time.monotonic()
        local = self._local.get(telegram_id)
        if local is not None and local[0] > now:
            view = local[1]
            if (view.username, view.first_name) == (username, first_name):
                return view, False
        if self._cache is not None:
            cached = await self._cache.get_json(_cache_key(telegram_id))
            if cached is not None:
                view = _from_cache(cached)
                if (view.username, view.first_name) == (username, first_name) and view.is_active:
                    self._remember(view, now)
                    return view, False
        stored, created = await self.ensure(telegram_id, username, first_name)
        if stored is None:
            return None, False
        if self._cache is not None:
            await self._cache.set_json(_cache_key(telegram_id), _to_cache(stored), self._ttl)
        self._remember(stored, now)
        return stored, created

    def _remember(self, view: UserView, now: float) -> None:
        if len(self._local) >= LOCAL_MAX:
            self._local.clear()
        self._local[view.telegram_id] = (now + LOCAL_TTL_S, view)

    async def ensure(
        self, telegram_id: int, username: str | None, first_name: str | None
    ) -> tuple[UserView | None, bool]:
        """Load or register the user (admins seeded from ``ADMIN_IDS``); return it, and if new.
        None: ``REGISTRATION=closed`` and a stranger (nothing is stored)."""
        is_admin = telegram_id in self._admin_ids
        registration = self._access.registration
        async with self._db.transaction() as session:
            repo = UserRepository(session)
            if registration is Registration.CLOSED and not is_admin:
                found = await repo.by_telegram_id(telegram_id)
                if found is None:
                    return None, False
                user, created = found, False
            else:
                user, created = await repo.get_or_create(
                    telegram_id, username=username, first_name=first_name, role=self._first_role()
                )
            if is_admin and (user.role, user.access) != (Role.ADMIN, Access.GRANTED):
                user.role, user.access = Role.ADMIN, Access.GRANTED
            elif created and registration is Registration.APPROVAL:
                user.access = Access.PENDING
                await session.flush()
                await self._ask_admins(session, to_view(user))
            if not created and (user.username, user.first_name) != (username, first_name):
                user.username, user.first_name = username, first_name
            if not user.is_active:
                user.is_active = True  # they wrote to us, so they have not blocked the bot
            return to_view(user), created

    def _first_role(self) -> Role:
        if self._access.registration is Registration.APPROVAL:
            return Role.VIEWER  # until an admin lets them in
        return Role(self._access.default_role)

    async def _ask_admins(self, session: AsyncSession, newcomer: UserView) -> None:
        if self._messages is None:
            log.warning("newcomer_not_announced", user_id=newcomer.id)
            return
        text, buttons = self._messages.newcomer(newcomer)
        await enqueue_to_admins(
            session, text, buttons=buttons, dedupe_key=f"newcomer:{newcomer.id}"
        )
        log.info("newcomer_pending", user_id=newcomer.id)

    async def decide(self, actor: UserView, user_id: int, *, approve: bool) -> UserView:
        """Let a pending user in (with ``DEFAULT_ROLE``) or refuse them; audited, and the user
        is told. Forbidden for non-admins, NotFound for an unknown id, UserError when another
        admin decided already."""
        if actor.role is not Role.ADMIN:
            raise Forbidden()
        async with self._db.transaction() as session:
            user = await UserRepository(session).get(user_id)
            if user is None:
                raise NotFound("No such user.")
            if user.access is not Access.PENDING:
                done = "let in" if user.access is Access.GRANTED else "refused"
                raise UserError(f"{to_view(user).display_name} was already {done}.")
            user.access = Access.GRANTED if approve else Access.REFUSED
            if approve:
                user.role = Role(self._access.default_role)
            await AuditRepository(session).add(
                "user_approved" if approve else "user_refused",
                actor_user_id=actor.id,
                target=str(user.telegram_id),
                details={"role": user.role.value},
            )
            view = to_view(user)
            if self._messages is not None:
                await enqueue(
                    OutboxRepository(session),
                    view.telegram_id,
                    self._messages.decided(view),
                    dedupe_key=f"access:{view.id}",
                    user_id=view.id,
                )
        log.info("user_approved" if approve else "user_refused", user_id=view.id)
        await self.invalidate(view.telegram_id)
        return view

    async def should_notify_stranger(self, telegram_id: int, interval_s: int) -> bool:
        """``REGISTRATION=closed``: True at most once per ``interval_s`` for one stranger (no
        row is stored for them, so the shared cache remembers the notice)."""
        if self._cache is None:
            return True
        return await self._cache.add_json(f"stranger-notice:{telegram_id}", 1, interval_s)

    async def get(self, telegram_id: int) -> UserView | None:
        async with self._db.session() as session:
            user = await UserRepository(session).by_telegram_id(telegram_id)
            return None if user is None else to_view(user)

    async def grant_role(self, actor: UserView | None, telegram_id: int, role: Role) -> UserView:
        """Set a user's role (created if unknown). ``actor`` None means the operator's CLI."""
        if actor is not None and actor.role is not Role.ADMIN:
            raise Forbidden()
        if actor is not None and actor.telegram_id == telegram_id and role is not Role.ADMIN:
            raise UserError("You cannot demote yourself; ask another admin.")
        async with self._db.transaction() as session:
            repo = UserRepository(session)
            user, _ = await repo.get_or_create(telegram_id)
            previous = user.role
            user.role = role
            user.access = Access.GRANTED  # a grant lets a pending or refused user in
            await AuditRepository(session).add(
                "role_granted",
                actor_user_id=actor.id if actor else None,
                target=str(telegram_id),
                details={
                    "from": previous.value,
                    "to": role.value,
                    "via": "bot" if actor else "cli",
                },
            )
            view = to_view(user)
        await self.invalidate(telegram_id)
        return view

    async def set_banned(self, actor: UserView, telegram_id: int, banned: bool) -> UserView:
        if actor.role is not Role.ADMIN:
            raise Forbidden()
        if actor.telegram_id == telegram_id:
            raise UserError("You cannot ban yourself.")
        async with self._db.transaction() as session:
            user = await UserRepository(session).by_telegram_id(telegram_id)
            if user is None:
                raise NotFound(f"No user with Telegram id {telegram_id}.")
            if user.role is Role.ADMIN and banned:
                raise UserError("Demote an admin before banning them.")
            user.is_banned = banned
            await AuditRepository(session).add(
                "user_banned" if banned else "user_unbanned",
                actor_user_id=actor.id,
                target=str(telegram_id),
            )
            view = to_view(user)
        await self.invalidate(telegram_id)
        return view

    async def should_notify_ban(self, user_id: int, now: datetime, interval_s: int) -> bool:
        """True at most once per ``interval_s`` for a banned user (and records the notice)."""
        async with self._db.transaction() as session:
            user = await UserRepository(session).get(user_id)
            if user is None:
                return False
            last = user.last_ban_notice_at
            if last is not None and (now - last).total_seconds() < interval_s:
                return False
            user.last_ban_notice_at = now
            return True

    async def mark_blocked(self, telegram_id: int) -> None:
        """The user blocked the bot (403): stop sending to them until they write again."""
        async with self._db.transaction() as session:
            await UserRepository(session).set_active(telegram_id, False)
        await self.invalidate(telegram_id)
