"""Inbox done marks: group-committed in one statement per batch, never lost to a failed write,
written before the database is closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from core.db.models import InboxUpdate
from core.db.session import Database
from core.domain import InboxStatus
from core.security import KeyStore
from services.inbox import MAX_ATTEMPTS, InboxService


def service(db: Database) -> InboxService:
    return InboxService(db, lease_s=60, sealer=KeyStore([Fernet.generate_key()]))


async def statuses(db: Database) -> dict[int, tuple[InboxStatus, str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(InboxUpdate.update_id, InboxUpdate.status, InboxUpdate.error)
        )
        return {update_id: (status, error) for update_id, status, error in rows}


@contextmanager
def inbox_writes(db: Database, fail_first: int = 0) -> Iterator[list[str]]:
    """Record every UPDATE of the inbox; make the first ``fail_first`` of them fail."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE INBOX"):
            seen.append(statement)
            if len(seen) <= fail_first:
                raise OperationalError(statement, {}, ConnectionError("database went away"))

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)


async def test_concurrent_finishes_share_one_write(db: Database) -> None:
    inbox = service(db)
    await inbox.store_batch([(i, f'{{"update_id": {i}}}') for i in range(1, 51)])
    with inbox_writes(db) as writes:
        for update_id in range(1, 51):
            inbox.finish(update_id)  # returns at once: the handler's slot is free
        assert (await statuses(db))[1][0] is InboxStatus.PENDING
        await inbox.flush()
    assert len(writes) == 1
    assert {s for s, _ in (await statuses(db)).values()} == {InboxStatus.DONE}


async def test_failed_updates_keep_their_error(db: Database) -> None:
    inbox = service(db)
    await inbox.store_batch([(1, "{}"), (2, "{}")])
    inbox.finish(1)
    inbox.finish(2, error="ValueError")
    await inbox.flush()
    assert await statuses(db) == {
        1: (InboxStatus.DONE, None),
        2: (InboxStatus.FAILED, "ValueError"),
    }


async def test_a_failed_write_is_retried_not_dropped(db: Database) -> None:
    inbox = service(db)
    await inbox.store_batch([(7, "{}"), (8, "{}")])
    with inbox_writes(db, fail_first=2) as writes:
        inbox.finish(7)
        inbox.finish(8)
        await inbox.flush()
    assert len(writes) == 3  # two failures, then the write that stuck
    assert {s for s, _ in (await statuses(db)).values()} == {InboxStatus.DONE}


async def test_closing_writes_what_is_pending(db: Database) -> None:
    inbox = service(db)
    await inbox.store_batch([(3, "{}")])
    inbox.finish(3)
    await inbox.aclose()
    assert (await statuses(db))[3][0] is InboxStatus.DONE


async def test_marks_made_during_a_write_go_in_the_next(db: Database) -> None:
    inbox = service(db)
    await inbox.store_batch([(i, "{}") for i in range(1, 5)])
    with inbox_writes(db) as writes:
        inbox.finish(1)
        await asyncio.sleep(0)  # the flusher is waiting out its commit delay
        inbox.finish(2)
        await inbox.flush()
        inbox.finish(3)
        inbox.finish(4)
        await inbox.flush()
    assert len(writes) == 2
    assert {s for s, _ in (await statuses(db)).values()} == {InboxStatus.DONE}


def clocked(db: Database, now: list[datetime]) -> InboxService:
    return InboxService(
        db, lease_s=10, sealer=KeyStore([Fernet.generate_key()]), clock=lambda: now[0]
    )


async def test_a_slow_handler_keeps_its_lease_and_is_not_run_twice(db: Database) -> None:
    """Issue 13 defect 7: recovery must not take over an update whose handler only runs long
    (one /buy became two orders). Its lease is renewed while it runs; once it ends, a row
    left unfinished (its process died) is recovered as before."""
    now = [datetime(2026, 3, 1, tzinfo=UTC)]
    inbox = clocked(db, now)
    assert await inbox.store(1, '{"update_id": 1}')
    inbox.started(1)
    for _ in range(4):  # 24 s of a slow handler, renewed every 6 s (a 10 s lease)
        now[0] += timedelta(seconds=6)
        assert await inbox.renew() == 1
        assert await inbox.claim_stale() == []
    inbox.ended(1)
    now[0] += timedelta(seconds=11)
    assert [update_id for update_id, _ in await inbox.claim_stale()] == [1]


async def test_a_poison_update_is_parked_after_its_attempts(db: Database) -> None:
    now = [datetime(2026, 3, 1, tzinfo=UTC)]
    inbox = clocked(db, now)
    assert await inbox.store(7, '{"update_id": 7}')  # the first try
    tries = 1
    while True:  # each try dies with its process; recovery takes it over after the lease
        now[0] += timedelta(seconds=11)
        claimed = await inbox.claim_stale()
        if not claimed:
            break
        tries += 1
    assert tries == MAX_ATTEMPTS
    assert inbox.parked == [7]
    assert (await statuses(db))[7] == (InboxStatus.FAILED, f"parked after {MAX_ATTEMPTS} attempts")
    now[0] += timedelta(seconds=11)
    assert await inbox.claim_stale() == []  # never again


async def test_a_row_sealed_under_a_retired_key_is_failed_not_claimed_again(db: Database) -> None:
    """A row stored under a key no longer configured can never be read: recovery and the
    signal worker's hand-off claim each mark it failed once instead of returning it (or taking
    it again after every lease)."""
    now = [datetime(2026, 3, 1, tzinfo=UTC)]
    old = clocked(db, now)
    assert await old.store(1, '{"update_id": 1}')  # its process died with it
    assert await old.store_handing_off([(2, '{"update_id": 2}')], {2}) == ([], [2])
    now[0] += timedelta(seconds=11)
    inbox = clocked(db, now)  # another key: the old one was retired
    assert await inbox.claim_handoff(2) is None
    assert await inbox.claim_stale() == []
    unreadable = (InboxStatus.FAILED, "payload sealed with an unknown key")
    assert await statuses(db) == {1: unreadable, 2: unreadable}
    now[0] += timedelta(seconds=11)
    assert await inbox.claim_stale() == []
