"""The inbox: updates are stored before they are acknowledged and handled once.

Marking updates done uses group commit: ``finish`` waits until its row is written, but all
the rows finished while one write was in flight (or within a short commit delay before it, like
PostgreSQL's ``commit_delay``) go out together in one statement. Nothing is reported done
before it is durable; the database just sees one write per batch instead of one per update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from core.clock import Clock, utc_now
from core.db.repositories.inbox import InboxRepository, mark_finished
from core.db.session import Database
from core.domain import InboxStatus
from core.errors import ServiceUnavailable, TemporaryExchangeError
from core.security import KeyStore, SecretDecryptError

log = structlog.get_logger(__name__)

RETENTION = timedelta(hours=48)
# How long the first finished update waits for others to share its write. The user has had
# the reply by then; only the row's "done" mark waits (a crash in between re-runs the update
# after its lease, as any crash before the mark would).
COMMIT_DELAY_S = 0.005

_Pending = tuple[int, str | None]  # (update_id, error)
# Tries of one update before it is parked as poison (failed, reported): the first handling and
# the recoveries after a process died while handling it.
MAX_ATTEMPTS = 5
# Update ids this far past the highest seen (or below it) are a jump, not redeliveries or
# updates from a busy hour: Telegram restarted its numbering or updates were lost.
ID_JUMP = 100_000
ID_JUMP_BACK = 10_000
# Telegram keeps undelivered updates for 24 hours: a longer outage may have lost some.
TELEGRAM_KEEPS = timedelta(hours=24)
# The lease of a channel post handed to the signal worker (SIGNAL_WORKER): not taken by a
# worker within it (none running, the Redis push lost), inbox recovery runs it instead.
HANDOFF_S = 5


def is_transient(exc: BaseException) -> bool:
    """An error that may pass by itself: Redis, the database or an exchange unreachable for a
    while. Its update is left to be run again after its lease (at most ``MAX_ATTEMPTS`` times
    in all); any other error ends the update as failed."""
    if isinstance(
        exc,
        TemporaryExchangeError
        | ServiceUnavailable
        | RedisConnectionError
        | RedisTimeoutError
        | OperationalError
        | ConnectionError
        | TimeoutError,
    ):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class InboxService:
    """Raw updates are sealed with the key store before they touch the database: a message
    that carries an API secret or a PIN must never be stored in clear, and the handler that
    reads it only runs after the write. Finished rows keep no payload at all."""

    def __init__(
        self,
        db: Database,
        lease_s: int,
        sealer: KeyStore,
        clock: Clock = utc_now,
        commit_delay_s: float = COMMIT_DELAY_S,
    ) -> None:
        self._commit_delay = commit_delay_s
        self._db = db
        self._sealer = sealer
        self._lease = timedelta(seconds=lease_s)
        self._clock = clock
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._running: set[int] = set()  # updates whose handler runs in this process
        self.parked: list[int] = []  # poison updates parked since the owner last looked
        self._last_id: int | None = None  # the highest update id seen (jumps are reported)
        self.jumps: list[tuple[int, int]] = []  # (from, to) since the owner last looked

    async def last_seen(self) -> tuple[int, datetime] | None:
        """(update id, received at) of the latest update stored, None on an empty inbox; also
        where the update-id jump check starts from."""
        async with self._db.session() as session:
            row = await InboxRepository(session).latest()
        if row is None:
            return None
        self._last_id = row.update_id
        return row.update_id, row.received_at

    def _check_ids(self, update_ids: Sequence[int]) -> None:
        """Telegram's update ids grow by one; after a week without updates they restart at a
        random value (F4). A jump back, or far ahead, means updates may have been lost: kept
        for the admins (``jumps``), and dedupe never relies on ids growing."""
        for update_id in sorted(update_ids):
            last = self._last_id
            if last is not None and not last - ID_JUMP_BACK <= update_id <= last + ID_JUMP:
                log.warning("update_id_jump", last=last, update_id=update_id)
                self.jumps.append((last, update_id))
            if last is None or update_id > last or update_id < last - ID_JUMP_BACK:
                self._last_id = update_id

    async def store(self, update_id: int, payload: str) -> bool:
        """Store one update; False when it was stored before (a redelivery: drop it)."""
        self._check_ids([update_id])
        async with self._db.transaction() as session:
            return await InboxRepository(session).add(
                update_id, self._sealer.seal(payload), lease_until=self._clock() + self._lease
            )

    async def store_batch(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store a batch in one transaction; return the ids this process must handle now.

        Those are the new ones plus redelivered ones whose earlier handler died (lease over).
        """
        mine, _ = await self.store_handing_off(updates, ())
        return mine

    async def store_handing_off(
        self, updates: Sequence[tuple[int, str]], handoff: Collection[int]
    ) -> tuple[list[int], list[int]]:
        """``store_batch``, with the new updates in ``handoff`` stored as handed off (lease
        ``HANDOFF_S``, no attempt yet) for the signal worker to claim. Returns (the ids to
        handle here, the ids handed off). A redelivered update whose lease is over is claimed
        here, handed off or not, as ``store_batch`` does; the claim counts an attempt, so no
        worker takes it after."""
        if not updates:
            return [], []
        self._check_ids([update_id for update_id, _ in updates])
        now = self._clock()
        unique = list(
            {update_id: (update_id, self._sealer.seal(raw)) for update_id, raw in updates}.values()
        )
        local = [row for row in unique if row[0] not in handoff]
        passed = [row for row in unique if row[0] in handoff]
        async with self._db.transaction() as session:
            repo = InboxRepository(session)
            new: set[int] = set()
            if local:
                new = await repo.add_many(local, now=now, lease_until=now + self._lease)
            handed: set[int] = set()
            if passed:
                until = now + timedelta(seconds=HANDOFF_S)
                handed = await repo.add_many(passed, now=now, lease_until=until, attempts=0)
            mine = [update_id for update_id, _ in local if update_id in new]
            stored_now = new | handed
            for update_id, _ in unique:  # stored before: ours again only if its lease is over
                if update_id not in stored_now and await repo.claim(update_id, now, self._lease):
                    mine.append(update_id)
        return mine, [update_id for update_id, _ in passed if update_id in handed]

    async def claim_handoff(self, update_id: int) -> str | None:
        """Take a handed-off update for the signal worker: its raw JSON, or None when it was
        taken first (by recovery after ``HANDOFF_S``) or is gone. The claim is atomic, so of a
        worker and recovery racing for one row exactly one gets it. The lease is the usual
        one; ``started`` keeps it renewed while the worker holds it."""
        now = self._clock()
        async with self._db.transaction() as session:
            repo = InboxRepository(session)
            payload = await repo.claim_handoff(update_id, now, self._lease)
            if payload is None:
                return None
            return await self._unseal_or_fail(repo, update_id, payload, now)

    def finish(self, update_id: int, *, error: str | None = None) -> None:
        """Mark the update done (or failed). Returns at once; the mark is written with the
        others of its batch (``flush`` waits for it). The handler's slot is not held for it."""
        self._pending.append((update_id, error))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="inbox-finish")

    async def flush(self) -> None:
        """Wait until every mark made so far is written."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def aclose(self, timeout_s: float = 10) -> None:
        """Write what is pending before the database goes (an unwritten mark only means the
        update is re-run after its lease)."""
        try:
            await asyncio.wait_for(self.flush(), timeout_s)
        except TimeoutError:
            log.error("inbox_finish_unwritten", count=len(self._pending))
            if self._flusher is not None:
                self._flusher.cancel()

    async def _flush(self) -> None:
        if self._commit_delay:
            await asyncio.sleep(self._commit_delay)
        retry_in = 0.1
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._write(batch)
            except (OSError, SQLAlchemyError) as exc:
                # keep the marks and try again; meanwhile the rows stay pending under lease
                log.warning("inbox_finish_failed", error=type(exc).__name__, retry_in=retry_in)
                self._pending[:0] = batch
                await asyncio.sleep(retry_in)
                retry_in = min(retry_in * 2, 5.0)
                continue
            retry_in = 0.1

    async def _write(self, batch: list[_Pending]) -> None:
        async with self._db.autocommit() as conn:
            await mark_finished(conn, self._db.dialect, batch, self._clock())

    async def prune(self) -> int:
        """Forget finished updates older than ``RETENTION``. Telegram keeps an update at most
        24 h, so no redelivery can be older; and after a long silence it restarts update ids
        at a random value, which must not collide with a remembered one."""
        async with self._db.transaction() as session:
            removed = await InboxRepository(session).prune(self._clock() - RETENTION)
        if removed:
            log.info("inbox_pruned", count=removed)
        return removed

    def started(self, update_id: int) -> None:
        """Its handler runs here: ``renew`` keeps its lease until ``ended``."""
        self._running.add(update_id)

    def ended(self, update_id: int) -> None:
        self._running.discard(update_id)

    async def renew(self) -> int:
        """Extend the lease of every update whose handler still runs in this process, so
        recovery never takes over (and runs twice) an update that is only slow; run more often
        than the lease. Returns how many leases were renewed."""
        running = sorted(self._running)
        if running:
            async with self._db.transaction() as session:
                await InboxRepository(session).renew(running, self._clock() + self._lease)
        return len(running)

    async def claim_stale(self, limit: int = 100) -> list[tuple[int, str]]:
        """Take over updates whose handler died (lease expired); return (id, raw JSON). An
        update tried ``MAX_ATTEMPTS`` times is parked instead: marked failed and listed in
        ``parked`` for the admins, never run again (a poison update must not loop)."""
        now = self._clock()
        claimed: list[tuple[int, str]] = []
        async with self._db.transaction() as session:
            repo = InboxRepository(session)
            for update_id in await repo.stale(now, limit):
                if await repo.attempts(update_id) >= MAX_ATTEMPTS:
                    await repo.finish(
                        update_id,
                        at=now,
                        status=InboxStatus.FAILED,
                        error=f"parked after {MAX_ATTEMPTS} attempts",
                    )
                    self.parked.append(update_id)
                    log.error("inbox_update_parked", update_id=update_id)
                    continue
                payload = await repo.claim(update_id, now, self._lease)
                if payload is None:
                    continue
                raw = await self._unseal_or_fail(repo, update_id, payload, now)
                if raw is not None:
                    claimed.append((update_id, raw))
        if claimed:
            log.warning("inbox_recovered", count=len(claimed))
        return claimed

    async def _unseal_or_fail(
        self, repo: InboxRepository, update_id: int, payload: str, now: datetime
    ) -> str | None:
        """A claimed row's raw JSON; None (the row marked failed) when it was sealed under a
        key no longer configured: it can never be read, so it must not be claimed again."""
        try:
            return self._sealer.unseal(payload)
        except SecretDecryptError:
            log.error("inbox_payload_unreadable", update_id=update_id)
            await repo.finish(
                update_id,
                at=now,
                status=InboxStatus.FAILED,
                error="payload sealed with an unknown key",
            )
            return None
