"""Outbox: messages the bot sends on its own initiative, as rows first.

Order per chat: a row is only ever claimed while it is the *head* of its chat, i.e. no row of the
same chat with a smaller id is still pending (queued, leased or waiting out a retry). So one chat
has at most one message in flight, its messages leave in id (creation) order, and a failed-for-good
row (FAILED) stops holding the ones behind it. Different chats never wait for each other.
Claiming is a compare-and-set on the lease, so several senders (tasks or processes) never claim
the same row, on PostgreSQL (SKIP LOCKED) as on SQLite (one writer at a time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, or_, select, update
from sqlalchemy.orm import aliased

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

    async def enqueue_many(self, messages: list[dict[str, Any]]) -> None:
        """Queue many messages in one statement (each a dict of chat_id, text, dedupe_key,
        user_id, optional reply_markup); those whose ``dedupe_key`` was queued are skipped.
        Rows are inserted in list order, so one chat's messages keep it."""
        rows = [
            {
                "reply_markup": None,
                **m,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
            }
            for m in messages
        ]
        await self.insert_many_ignore(OutboxMessage, rows, ["dedupe_key"])

    async def claim_due(
        self, now: datetime, *, limit: int, lease: timedelta
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` due rows, each the head of its chat (so at most one per chat),
        in id order; a row another sender leased meanwhile is not returned."""
        unleased = or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)
        pending = OutboxMessage.status == OutboxStatus.PENDING
        stmt = (
            select(OutboxMessage.id)
            .where(pending, OutboxMessage.next_attempt_at <= now, unleased, _is_head())
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
        candidates = list(await self._session.scalars(stmt))
        if not candidates:
            return []
        # compare-and-set: only rows still pending and unleased are taken (another sender may
        # have claimed one between the read and this write on SQLite, which has no row locks)
        claimed = await self._session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), pending, unleased)
            .values(locked_until=now + lease)
            .returning(OutboxMessage.id)
        )
        ids = list(claimed)
        if not ids:
            return []
        rows = await self._session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

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
        """When the next row can be claimed: the earliest time a chat's head is due and
        unleased (rows behind a head wait for it, so they do not count)."""
        ready_at = case(
            (
                OutboxMessage.locked_until > OutboxMessage.next_attempt_at,
                OutboxMessage.locked_until,
            ),
            else_=OutboxMessage.next_attempt_at,
        )
        stmt = select(func.min(ready_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING, _is_head()
        )
        due: datetime | None = await self._session.scalar(stmt)
        return due


def _is_head() -> ColumnElement[bool]:
    """The row is the first pending row of its chat (by id)."""
    earlier = aliased(OutboxMessage)
    return ~exists().where(
        earlier.chat_id == OutboxMessage.chat_id,
        earlier.status == OutboxStatus.PENDING,
        earlier.id < OutboxMessage.id,
    )
