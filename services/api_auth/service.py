"""``ApiAuthService``: credentials in, tokens out, and the principal behind every request.

- An API key (``exchange_key``) or the Mini App's ``initData`` (``sign_in_webapp``; a Telegram
  user the bot does not know yet is registered as ``/start`` would, under the registration
  rules in force) opens a *session*: an access JWT (15 min) and a refresh token (30 days).
- ``refresh`` uses its token up and hands out the next pair of the same session (rotation);
  a used token presented again means it leaked: the whole session is revoked (reuse detection),
  so the thief's and the owner's tokens all stop at once.
- ``authenticate`` runs on every request: the token's signature and expiry, then one read of
  its session, key and user from the database, so a revoked session or key, a ban, a refused
  user or a role without API access is refused at once in every process, whichever wrote it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.db.models import ApiRefreshToken, ApiSession, User
from core.db.repositories.api import (
    ApiKeyRepository,
    ApiSessionRepository,
    RefreshTokenRepository,
)
from core.db.session import Database
from core.domain import Access
from core.errors import Forbidden
from core.permissions import role_allows
from core.security import new_token
from services.api_auth.dto import NotAuthenticated, Principal, Scope, TokenPair
from services.api_auth.keys import KEY_PREFIX, digest
from services.api_auth.tokens import AccessTokens
from services.api_auth.webapp import verify_init_data
from services.dto import UserView
from services.users import UserService, to_view

log = structlog.get_logger(__name__)

REFRESH_TTL: Final = timedelta(days=30)
MAX_CREDENTIAL: Final = 256
REVOKED: Final = "This session was revoked; sign in again."


def _permission(scope: Scope) -> str:
    """The permission (core/permissions.py) a session of ``scope`` needs, checked per request."""
    return "webapp.use" if scope is Scope.WEBAPP else "api.access"


def _admitted(user: User, scope: Scope) -> UserView:
    """The user's view when they may use a session of ``scope`` now; ``Forbidden`` if not."""
    view = to_view(user)
    if view.is_banned:
        raise Forbidden("You are banned from this bot.")
    if view.access is not Access.GRANTED:
        raise Forbidden("An admin has not let you in (yet).")
    if not role_allows(view.role, _permission(scope)):
        raise Forbidden(f"The {view.role.value} role has no API access.")
    return view


class ApiAuthService:
    def __init__(
        self,
        db: Database,
        users: UserService,
        tokens: AccessTokens,
        *,
        bot_token: str | None,
        webapp_max_age: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._users = users
        self._tokens = tokens
        self._bot_token = bot_token
        self._webapp_max_age = webapp_max_age
        self._clock = clock

    async def exchange_key(self, api_key: str) -> TokenPair:
        """A new session for a valid, unrevoked key. ``NotAuthenticated`` for an unknown or
        revoked key, ``Forbidden`` when its owner may not use the API now."""
        if not api_key.startswith(KEY_PREFIX) or len(api_key) > MAX_CREDENTIAL:
            raise NotAuthenticated("That API key is not valid.")
        async with self._db.transaction() as session:
            key = await ApiKeyRepository(session).by_hash(digest(api_key))
            if key is None or key.revoked_at is not None:
                raise NotAuthenticated("That API key is not valid.")
            user = await session.get(User, key.user_id)
            assert user is not None  # the key's foreign key cascades from users
            scope = Scope(key.scope)
            _admitted(user, scope)
            key.last_used_at = self._clock()
            pair = await self._open(session, user.id, scope, live=key.live, key_id=key.id)
        log.info("api_signed_in", user_id=key.user_id, key_id=key.id)
        return pair

    async def sign_in_webapp(self, init_data: str) -> TokenPair:
        """A Mini App session for the Telegram user ``init_data`` vouches for, registered as
        ``/start`` would when new. ``NotAuthenticated`` for forged or stale data,
        ``Forbidden`` when registration is closed to them, pending, refused, or banned."""
        if self._bot_token is None:
            raise NotAuthenticated("The Mini App needs the bot's token (BOT_TOKEN) to sign in.")
        who = verify_init_data(
            init_data, self._bot_token, now=self._clock(), max_age=self._webapp_max_age
        )
        view, created = await self._users.ensure(who.telegram_id, who.username, who.first_name)
        if view is None:
            raise Forbidden("This bot takes no new users.")
        if created:
            log.info("user_registered_by_webapp", user_id=view.id)
        async with self._db.transaction() as session:
            user = await session.get(User, view.id)
            assert user is not None  # just ensured
            _admitted(user, Scope.WEBAPP)
            return await self._open(session, user.id, Scope.WEBAPP, live=False, key_id=None)

    async def _open(
        self, session: AsyncSession, user_id: int, scope: Scope, *, live: bool, key_id: int | None
    ) -> TokenPair:
        row = await ApiSessionRepository(session).add(
            ApiSession(
                family=new_token(16),
                user_id=user_id,
                api_key_id=key_id,
                scope=scope.value,
                live=live,
                created_at=self._clock(),
            )
        )
        return await self._pair(session, row)

    async def _pair(self, session: AsyncSession, row: ApiSession) -> TokenPair:
        refresh = "tsr_" + new_token(32)
        now = self._clock()
        await RefreshTokenRepository(session).add(
            ApiRefreshToken(
                session_id=row.id,
                token_hash=digest(refresh),
                created_at=now,
                expires_at=now + REFRESH_TTL,
            )
        )
        return TokenPair(
            access_token=self._tokens.issue(row.user_id, row.family),
            refresh_token=refresh,
            expires_in=int(self._tokens.ttl.total_seconds()),
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        """The next pair of the token's session; the token is used up. A used token again
        revokes the session (``NotAuthenticated``, the revocation committed)."""
        now = self._clock()
        reused = False
        async with self._db.transaction() as session:
            row, owner = await self._refresh_row(session, refresh_token)
            if row.used_at is not None or not await RefreshTokenRepository(session).use(
                row.id, now
            ):
                reused = await ApiSessionRepository(session).revoke(owner.id, now, "reuse")
            elif row.expires_at <= now:
                raise NotAuthenticated("That refresh token expired; sign in again.")
            else:
                user = await session.get(User, owner.user_id)
                assert user is not None  # sessions cascade from users
                _admitted(user, Scope(owner.scope))
                return await self._pair(session, owner)
        log.warning("api_refresh_token_reused", session_id=owner.id, revoked=reused)
        raise NotAuthenticated("That refresh token was already used; the session is revoked.")

    async def _refresh_row(
        self, session: AsyncSession, token: str
    ) -> tuple[ApiRefreshToken, ApiSession]:
        row = None
        if token.startswith("tsr_") and len(token) <= MAX_CREDENTIAL:
            row = await RefreshTokenRepository(session).by_hash(digest(token))
        owner = await ApiSessionRepository(session).get(row.session_id) if row else None
        if row is None or owner is None:
            raise NotAuthenticated("That refresh token is not valid.")
        if owner.revoked_at is not None:
            raise NotAuthenticated(REVOKED)
        return row, owner

    async def revoke_refresh(self, refresh_token: str) -> None:
        """Revoke the session a refresh token belongs to (sign out everywhere it reached)."""
        async with self._db.transaction() as session:
            _row, owner = await self._refresh_row(session, refresh_token)
            await ApiSessionRepository(session).revoke(owner.id, self._clock(), "signed_out")
        log.info("api_session_revoked", session_id=owner.id)

    async def revoke_session(self, principal: Principal) -> None:
        """Revoke the caller's own session."""
        async with self._db.transaction() as session:
            await ApiSessionRepository(session).revoke(
                principal.session_id, self._clock(), "signed_out"
            )
        log.info("api_session_revoked", session_id=principal.session_id)

    async def authenticate(self, access_token: str) -> Principal:
        """Who sends ``access_token``: ``NotAuthenticated`` for a bad, expired or revoked
        token, ``Forbidden`` for a user banned, refused or without the role's API access."""
        claims = self._tokens.check(access_token)
        async with self._db.session() as session:
            found = await ApiSessionRepository(session).with_user(claims.family)
        if found is None:
            raise NotAuthenticated("That access token is not valid; sign in again.")
        row, user, key = found
        if row.revoked_at is not None or (key is not None and key.revoked_at is not None):
            raise NotAuthenticated(REVOKED)
        if user.id != claims.user_id:
            raise NotAuthenticated("That access token is not valid; sign in again.")
        scope = Scope(row.scope)
        return Principal(
            user=_admitted(user, scope),
            session_id=row.id,
            scope=scope,
            live=row.live,
            api_key_id=row.api_key_id,
        )
