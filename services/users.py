"""Users: registration, admin seeding, roles, bans; every privileged change is audited."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict

from core.cache import Cache
from core.db.models import User
from core.db.repositories.audit import AuditRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import Role
from core.errors import Forbidden, NotFound, UserError
from services.dto import AuditView, UserView


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
    )


class UserService:
    def __init__(
        self,
        db: Database,
        admin_ids: Iterable[int] = (),
        cache: Cache | None = None,
        cache_ttl_s: int = 300,
    ) -> None:
        self._db = db
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
    ) -> tuple[UserView, bool]:
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
        view, created = await self.ensure(telegram_id, username, first_name)
        if self._cache is not None:
            await self._cache.set_json(_cache_key(telegram_id), _to_cache(view), self._ttl)
        self._remember(view, now)
        return view, created

    def _remember(self, view: UserView, now: float) -> None:
        if len(self._local) >= LOCAL_MAX:
            self._local.clear()
        self._local[view.telegram_id] = (now + LOCAL_TTL_S, view)

    async def ensure(
        self, telegram_id: int, username: str | None, first_name: str | None
    ) -> tuple[UserView, bool]:
        """Load or create the user (admins seeded from ``ADMIN_IDS``); return it, and if new."""
        role = Role.ADMIN if telegram_id in self._admin_ids else Role.TRADER
        async with self._db.transaction() as session:
            repo = UserRepository(session)
            user, created = await repo.get_or_create(
                telegram_id, username=username, first_name=first_name, role=role
            )
            if telegram_id in self._admin_ids and user.role is not Role.ADMIN:
                user.role = Role.ADMIN
            if not created and (user.username, user.first_name) != (username, first_name):
                user.username, user.first_name = username, first_name
            if not user.is_active:
                user.is_active = True  # they wrote to us, so they have not blocked the bot
            return to_view(user), created

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

    async def recent_audit(self, limit: int = 20) -> list[AuditView]:
        async with self._db.session() as session:
            entries = await AuditRepository(session).recent(limit)
            actors = {e.actor_user_id for e in entries if e.actor_user_id is not None}
            names: dict[int, str] = {}
            for actor_id in actors:
                actor = await UserRepository(session).get(actor_id)
                if actor is not None:
                    names[actor_id] = to_view(actor).display_name
        return [
            AuditView(
                created_at=e.created_at,
                action=e.action,
                target=e.target,
                actor=names.get(e.actor_user_id) if e.actor_user_id is not None else None,
            )
            for e in entries
        ]
