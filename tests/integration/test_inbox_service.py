"""Inbox done marks: group-committed in one statement per batch, never lost to a failed write,
written before the database is closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from core.db.models import InboxUpdate
from core.db.session import Database
from core.domain import InboxStatus
from core.security import KeyStore
from services.inbox import InboxService


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
