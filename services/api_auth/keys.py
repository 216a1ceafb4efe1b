"""Personal API keys (``/apikey``, ``/apikeys``): made, listed and revoked by their owner.

Invariants: a key's secret is shown once (``NewApiKey``) and only its SHA-256 is stored; a key
is ``read`` or ``trade``; a trade key gets the live right (its live orders go out without a
Telegram Confirm) only when the owner's trading PIN was given when it was made, checked through
the same ``PinAttempts`` as every PIN in the chat; revoking a key revokes every session made
with it, at once. Each change is audited.
"""

from __future__ import annotations

import hashlib
from typing import Final

import structlog

from core.clock import Clock, utc_now
from core.db.models import ApiKey, User
from core.db.repositories.api import ApiKeyRepository, ApiSessionRepository
from core.db.repositories.audit import AuditRepository
from core.db.session import Database
from core.errors import Forbidden, NotFound, UserError
from core.permissions import role_allows
from core.security import new_token
from services.api_auth.dto import ApiKeyView, NewApiKey, Scope
from services.dto import UserView
from services.pin_attempts import PinAttempts

log = structlog.get_logger(__name__)

KEY_PREFIX: Final = "tsb_"
SHOWN_CHARS: Final = 10  # of the key, in /apikeys (4 of them are the fixed prefix)
MAX_KEYS: Final = 10
NEEDS_PIN: Final = "Send your trading PIN: a key that trades live needs it."


def digest(value: str) -> str:
    """The stored form of a key or refresh token (random 256-bit values: SHA-256 suffices)."""
    return hashlib.sha256(value.encode()).hexdigest()


def key_view(row: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=row.id,
        prefix=row.prefix,
        scope=Scope(row.scope),
        live=row.live,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


class PinNeeded(UserError):
    """A live key was asked for without the PIN: ask for it, then make the key."""

    default_message = NEEDS_PIN


class ApiKeyService:
    def __init__(self, db: Database, pins: PinAttempts, clock: Clock = utc_now) -> None:
        self._db = db
        self._pins = pins
        self._clock = clock

    async def create(
        self, user: UserView, scope: Scope, *, live: bool = False, pin: str | None = None
    ) -> NewApiKey:
        """A new key of ``user``'s. Raises ``Forbidden`` for a role without API access,
        ``UserError`` for a live read key, a live key without a PIN set, or too many keys,
        ``PinNeeded`` when the PIN is missing, and the PIN check's errors for a wrong one."""
        if not role_allows(user.role, "api.access"):
            raise Forbidden("Your role has no API access.")
        if scope not in {Scope.READ, Scope.TRADE}:
            raise UserError("A key is read or trade.")
        if live and scope is not Scope.TRADE:
            raise UserError("Only a trade key can trade live.")
        if live:
            await self._check_pin(user, pin)
        secret = KEY_PREFIX + new_token(32)
        async with self._db.transaction() as session:
            repo = ApiKeyRepository(session)
            if len(await repo.of_user(user.id)) >= MAX_KEYS:
                raise UserError(f"You have {MAX_KEYS} keys; revoke one with /apikeys first.")
            row = await repo.add(
                ApiKey(
                    user_id=user.id,
                    key_hash=digest(secret),
                    prefix=secret[:SHOWN_CHARS],
                    scope=scope.value,
                    live=live,
                    created_at=self._clock(),
                )
            )
            await AuditRepository(session).add(
                "api_key_created",
                actor_user_id=user.id,
                target=row.prefix,
                details={"scope": scope.value, "live": live},
            )
            view = key_view(row)
        log.info("api_key_created", user_id=user.id, key_id=view.id, scope=scope.value, live=live)
        return NewApiKey(view=view, secret=secret)

    async def _check_pin(self, user: UserView, pin: str | None) -> None:
        async with self._db.session() as session:
            row = await session.get(User, user.id)
        pin_hash = row.pin_hash if row is not None else None
        if pin_hash is None:
            raise UserError(
                "A key that trades live needs your trading PIN, and you have none: set one "
                "with /pin, then ask again."
            )
        if pin is None or not pin.strip():
            raise PinNeeded()
        await self._pins.verify(user.id, pin, pin_hash)

    async def list_keys(self, user: UserView) -> list[ApiKeyView]:
        """The user's keys that are not revoked, oldest first."""
        async with self._db.session() as session:
            return [key_view(k) for k in await ApiKeyRepository(session).of_user(user.id)]

    async def revoke(self, user: UserView, key_id: int) -> ApiKeyView:
        """Revoke one of the user's own keys and every session made with it. ``NotFound`` for
        someone else's key or a revoked one (their existence is not the caller's business)."""
        now = self._clock()
        async with self._db.transaction() as session:
            row = await ApiKeyRepository(session).get(key_id)
            if row is None or row.user_id != user.id or row.revoked_at is not None:
                raise NotFound("No such key of yours (see /apikeys).")
            row.revoked_at = now
            sessions = await ApiSessionRepository(session).revoke_of_key(row.id, now, "key")
            await AuditRepository(session).add(
                "api_key_revoked",
                actor_user_id=user.id,
                target=row.prefix,
                details={"sessions": sessions},
            )
            view = key_view(row)
        log.info("api_key_revoked", user_id=user.id, key_id=key_id, sessions=sessions)
        return view
