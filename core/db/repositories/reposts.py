"""Reposts: a source's entries of the last while, read under a per-source lock.

A channel that posts the same signal text again (a re-post, a copy) must not make a second
signal. Deciding that is a read (the source's recent entries) followed by a write (a new signal
or a repost record), so two posts of one source are decided one after the other: the source row
is locked for the rest of the transaction first (``FOR UPDATE`` on PostgreSQL; on SQLite a no-op
write, which takes the database's single write lock, so the read that follows sees every entry
committed before it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from core.db.models import Signal, Source
from core.db.repositories.base import Repository
from core.domain import SignalKind


class RepostRepository(Repository):
    async def lock_source(self, source_id: int) -> None:
        """Hold ``source_id``'s row until the transaction ends (entries decided in turn)."""
        if self.dialect == "postgresql":
            await self._session.execute(
                select(Source.id).where(Source.id == source_id).with_for_update()
            )
            return
        await self._session.execute(  # updated_at given: the row is unchanged, only locked
            update(Source).where(Source.id == source_id).values(updated_at=Source.updated_at)
        )

    async def recent_entries(self, source_id: int, since: datetime) -> list[Signal]:
        """The source's tracked entry signals first seen at or after ``since``, oldest first."""
        stmt = (
            select(Signal)
            .where(
                Signal.source_id == source_id,
                Signal.is_tracked.is_(True),
                Signal.kind == SignalKind.ENTRY,
                Signal.first_seen_at >= since,
            )
            .order_by(Signal.id)
        )
        return list(await self._session.scalars(stmt))
