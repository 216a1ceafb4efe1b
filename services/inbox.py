"""The inbox: updates are stored before they are acknowledged and handled once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import structlog

from core.db.repositories.inbox import InboxRepository
from core.db.session import Database
from core.domain import InboxStatus
from services.ports import ClockFn, utc_now

log = structlog.get_logger(__name__)


class InboxService:
    def __init__(self, db: Database, lease_s: int, clock: ClockFn = utc_now) -> None:
        self._db = db
        self._lease = timedelta(seconds=lease_s)
        self._clock = clock

    async def store(self, update_id: int, payload: str) -> bool:
        """Store one update; False when it was stored before (a redelivery: drop it)."""
        async with self._db.transaction() as session:
            return await InboxRepository(session).add(
                update_id, payload, lease_until=self._clock() + self._lease
            )

    async def store_batch(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store a batch in one transaction; return the ids this process must handle now.

        Those are the new ones plus redelivered ones whose earlier handler died (lease over).
        """
        if not updates:
            return []
        now = self._clock()
        mine: list[int] = []
        async with self._db.transaction() as session:
            repo = InboxRepository(session)
            for update_id, payload in updates:
                if (
                    await repo.add(update_id, payload, lease_until=now + self._lease)
                    or await repo.claim(update_id, now, self._lease) is not None
                ):
                    mine.append(update_id)
        return mine

    async def finish(self, update_id: int, *, error: str | None = None) -> None:
        status = InboxStatus.DONE if error is None else InboxStatus.FAILED
        async with self._db.transaction() as session:
            await InboxRepository(session).finish(
                update_id, at=self._clock(), status=status, error=error
            )

    async def claim_stale(self, limit: int = 100) -> list[tuple[int, str]]:
        """Take over updates whose handler died (lease expired); return (id, raw JSON)."""
        now = self._clock()
        claimed: list[tuple[int, str]] = []
        async with self._db.transaction() as session:
            repo = InboxRepository(session)
            for update_id in await repo.stale(now, limit):
                payload = await repo.claim(update_id, now, self._lease)
                if payload is not None:
                    claimed.append((update_id, payload))
        if claimed:
            log.warning("inbox_recovered", count=len(claimed))
        return claimed
