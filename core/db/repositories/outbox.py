"""Outbox: messages the bot sends on its own initiative, as rows first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update

from core.db.models import OutboxMessage
from core.db.repositories.base import Repository
from core.domain import OutboxStatus


class OutboxRepository(Repository):
    async def enqueue(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        user_id: int | None = None,
        not_before: datetime | None = None,
    ) -> int | None:
        """Queue one message; None when ``dedupe_key`` was queued before."""
        values: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "reply_markup": reply_markup,
            "dedupe_key": dedupe_key,
            "user_id": user_id,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
        }
        if not_before is not None:
            values["next_attempt_at"] = not_before
        if dedupe_key is None:
            row = OutboxMessage(**values)
            self._session.add(row)
            await self._session.flush()
            return row.id
        return await self.insert_ignore(OutboxMessage, values, conflict=["dedupe_key"])

    async def claim_due(
        self, now: datetime, *, limit: int, lease: timedelta
    ) -> list[OutboxMessage]:
        """Lock up to ``limit`` due rows for this sender (SKIP LOCKED on PostgreSQL)."""
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .order_by(OutboxMessage.id)  # FIFO among due rows: a chat's messages keep order
            .limit(limit)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(await self._session.scalars(stmt))
        for row in rows:
            row.locked_until = now + lease
        await self._session.flush()
        return rows

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status=OutboxStatus.SENT,
                sent_at=at,
                locked_until=None,
                attempts=OutboxMessage.attempts + 1,
            )
        )

    async def retry_at(self, message_id: int, at: datetime, error: str) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                next_attempt_at=at,
                locked_until=None,
                error=error[:500],
                attempts=OutboxMessage.attempts + 1,
            )
        )

    async def defer(self, message_id: int, at: datetime) -> None:
        """Push back without counting an attempt (a rate limit, not a failure)."""
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(next_attempt_at=at, locked_until=None)
        )

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status=OutboxStatus.FAILED,
                locked_until=None,
                error=error[:500],
                attempts=OutboxMessage.attempts + 1,
            )
        )

    async def count(self, status: OutboxStatus) -> int:
        stmt = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        )
        return int(await self._session.scalar(stmt) or 0)

    async def next_due_at(self) -> datetime | None:
        stmt = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
        return await self._session.scalar(stmt)
