"""The inbox: updates are stored before they are acknowledged and handled once.

Marking updates done uses group commit: ``finish`` waits until its row is written, but all
the rows finished while one write was in flight go out together in the next one. Nothing is
acknowledged before it is durable; the database just sees one transaction per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog

from core.db.repositories.inbox import InboxRepository, finish_statement
from core.db.session import Database
from core.domain import InboxStatus
from core.security import KeyStore, SecretDecryptError
from services.ports import ClockFn, utc_now

log = structlog.get_logger(__name__)

RETENTION = timedelta(hours=48)

_Pending = tuple[int, str | None, asyncio.Future[None]]


class InboxService:
    """Raw updates are sealed with the key store before they touch the database: a message
    that carries an API secret or a PIN must never be stored in clear, and the handler that
    reads it only runs after the write. Finished rows keep no payload at all."""

    def __init__(
        self, db: Database, lease_s: int, sealer: KeyStore, clock: ClockFn = utc_now
    ) -> None:
        self._db = db
        self._sealer = sealer
        self._lease = timedelta(seconds=lease_s)
        self._clock = clock
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    async def store(self, update_id: int, payload: str) -> bool:
        """Store one update; False when it was stored before (a redelivery: drop it)."""
        async with self._db.transaction() as session:
            return await InboxRepository(session).add(
                update_id, self._sealer.seal(payload), lease_until=self._clock() + self._lease
            )

    async def store_batch(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store a batch in one transaction; return the ids this process must handle now.

        Those are the new ones plus redelivered ones whose earlier handler died (lease over).
        """
        if not updates:
            return []
        now = self._clock()
        unique = list(
            {update_id: (update_id, self._sealer.seal(raw)) for update_id, raw in updates}.values()
        )
        async with self._db.transaction() as session:
            repo = InboxRepository(session)
            new = await repo.add_many(unique, now=now, lease_until=now + self._lease)
            mine = [update_id for update_id, _ in unique if update_id in new]
            for update_id, _ in unique:
                if update_id not in new and await repo.claim(update_id, now, self._lease):
                    mine.append(update_id)
        return mine

    async def finish(self, update_id: int, *, error: str | None = None) -> None:
        """Mark the update done (or failed); returns once that is written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((update_id, error, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            done = [update_id for update_id, error, _ in batch if error is None]
            try:
                async with self._db.connection() as conn:
                    at = self._clock()
                    if done:
                        await conn.execute(finish_statement(done, InboxStatus.DONE, at, None))
                    for update_id, error, _ in batch:
                        if error is not None:
                            await conn.execute(
                                finish_statement([update_id], InboxStatus.FAILED, at, error)
                            )
            except Exception as exc:  # the waiters see it; rows stay pending, recovery re-runs
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def prune(self) -> int:
        """Forget finished updates older than ``RETENTION``. Telegram keeps an update at most
        24 h, so no redelivery can be older; and after a long silence it restarts update ids
        at a random value, which must not collide with a remembered one."""
        async with self._db.transaction() as session:
            removed = await InboxRepository(session).prune(self._clock() - RETENTION)
        if removed:
            log.info("inbox_pruned", count=removed)
        return removed

    async def claim_stale(self, limit: int = 100) -> list[tuple[int, str]]:
        """Take over updates whose handler died (lease expired); return (id, raw JSON)."""
        now = self._clock()
        claimed: list[tuple[int, str]] = []
        async with self._db.transaction() as session:
            repo = InboxRepository(session)
            for update_id in await repo.stale(now, limit):
                payload = await repo.claim(update_id, now, self._lease)
                if payload is None:
                    continue
                try:
                    claimed.append((update_id, self._sealer.unseal(payload)))
                except SecretDecryptError:  # sealed under a key no longer configured
                    log.error("inbox_payload_unreadable", update_id=update_id)
                    await repo.finish(
                        update_id,
                        at=now,
                        status=InboxStatus.FAILED,
                        error="payload sealed with an unknown key",
                    )
        if claimed:
            log.warning("inbox_recovered", count=len(claimed))
        return claimed
