"""The REST API's rows: API keys, sign-in sessions, refresh tokens, idempotent replies.

No commits here (the service owns the transaction). Hashes only: callers pass the SHA-256 of a
key or token, never the value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult

from core.db.models import ApiIdempotentReply, ApiKey, ApiRefreshToken, ApiSession, User
from core.db.repositories.base import Repository


class ApiKeyRepository(Repository):
    async def add(self, key: ApiKey) -> ApiKey:
        self._session.add(key)
        await self._session.flush()
        return key

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        return await self._session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))

    async def get(self, key_id: int) -> ApiKey | None:
        return await self._session.get(ApiKey, key_id)

    async def of_user(self, user_id: int) -> list[ApiKey]:
        rows = await self._session.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.id)
        )
        return list(rows)


class ApiSessionRepository(Repository):
    async def add(self, row: ApiSession) -> ApiSession:
        self._session.add(row)
        await self._session.flush()
        return row

    async def with_user(self, family: str) -> tuple[ApiSession, User, ApiKey | None] | None:
        """The session named ``family``, its user and its API key (None for the Mini App's)."""
        row = (
            await self._session.execute(
                select(ApiSession, User, ApiKey)
                .join(User, User.id == ApiSession.user_id)
                .outerjoin(ApiKey, ApiKey.id == ApiSession.api_key_id)
                .where(ApiSession.family == family)
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def get(self, session_id: int) -> ApiSession | None:
        return await self._session.get(ApiSession, session_id)

    async def revoke(self, session_id: int, now: datetime, reason: str) -> bool:
        """Revoke one session (True when this call did it)."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]  # an UPDATE's result is a CursorResult
            update(ApiSession)
            .where(ApiSession.id == session_id, ApiSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return bool(result.rowcount)

    async def revoke_of_key(self, key_id: int, now: datetime, reason: str) -> int:
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]  # as above
            update(ApiSession)
            .where(ApiSession.api_key_id == key_id, ApiSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return int(result.rowcount)


class RefreshTokenRepository(Repository):
    async def add(self, row: ApiRefreshToken) -> None:
        self._session.add(row)
        await self._session.flush()

    async def by_hash(self, token_hash: str) -> ApiRefreshToken | None:
        return await self._session.scalar(
            select(ApiRefreshToken).where(ApiRefreshToken.token_hash == token_hash)
        )

    async def use(self, token_id: int, now: datetime) -> bool:
        """Mark the token used; False when another request used it first."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]  # as above
            update(ApiRefreshToken)
            .where(ApiRefreshToken.id == token_id, ApiRefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)


class IdempotentReplyRepository(Repository):
    async def reserve(self, user_id: int, key: str, action: str, now: datetime) -> bool:
        """Claim (user, key, action) for a request in flight (status 0); False when taken."""
        new_id = await self.insert_ignore(
            ApiIdempotentReply,
            {
                "user_id": user_id,
                "key": key,
                "action": action,
                "status": 0,
                "body": {},
                "created_at": now,
            },
            ("user_id", "key", "action"),
        )
        return new_id is not None

    async def get(self, user_id: int, key: str, action: str) -> ApiIdempotentReply | None:
        return await self._session.scalar(
            select(ApiIdempotentReply).where(
                ApiIdempotentReply.user_id == user_id,
                ApiIdempotentReply.key == key,
                ApiIdempotentReply.action == action,
            )
        )

    async def release(self, user_id: int, key: str, action: str) -> None:
        """Forget a claim whose request failed unexpectedly (it may be tried again)."""
        await self._session.execute(
            delete(ApiIdempotentReply).where(
                ApiIdempotentReply.user_id == user_id,
                ApiIdempotentReply.key == key,
                ApiIdempotentReply.action == action,
                ApiIdempotentReply.status == 0,
            )
        )

    async def prune(self, before: datetime) -> None:
        await self._session.execute(
            delete(ApiIdempotentReply).where(ApiIdempotentReply.created_at < before)
        )
