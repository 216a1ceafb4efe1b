"""Inbox: every incoming update, stored before Telegram is told it arrived."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import (
    BigInteger,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert

from core.db.models import InboxUpdate
from core.db.repositories.base import Repository
from core.domain import InboxStatus

# the mapped class's table, typed for the Core statements below (SQLAlchemy types it FromClause)
INBOX_TABLE: Final = cast(Table, InboxUpdate.__table__)


def _finish(dialect: str) -> Any:
    """Marking updates finished, the hot path's write: built once, run with parameters. On
    PostgreSQL the ids go as one array (``= ANY``), so every batch size is the same prepared
    statement; elsewhere as an expanding ``IN``."""
    table = INBOX_TABLE
    if dialect == "postgresql":
        ids = table.c.update_id == any_(bindparam("ids", type_=postgresql.ARRAY(BigInteger)))
    else:
        ids = table.c.update_id.in_(bindparam("ids", expanding=True))
    return (
        update(table)
        .where(ids)
        .values(
            status=bindparam("status"),
            processed_at=bindparam("at"),
            locked_until=None,
            error=bindparam("error"),
            payload="",
        )
    )


_FINISH: Final = {dialect: _finish(dialect) for dialect in ("postgresql", "sqlite")}


async def mark_finished(
    conn: AsyncConnection, dialect: str, marks: list[tuple[int, str | None]], at: datetime
) -> None:
    """Mark updates done (error None) or failed (with their error), emptying their payloads:
    all the done ones in one statement. Each statement is atomic on its own, so ``conn`` may
    be in autocommit (no BEGIN/COMMIT round trips)."""
    finish = _FINISH[dialect]
    done = [update_id for update_id, error in marks if error is None]
    if done:
        await conn.execute(
            finish, {"ids": done, "status": InboxStatus.DONE, "at": at, "error": None}
        )
    for update_id, error in marks:
        if error is not None:
            await conn.execute(
                finish,
                {"ids": [update_id], "status": InboxStatus.FAILED, "at": at, "error": error},
            )


@functools.cache
def _insert_new(dialect: str) -> ReturningInsert[int]:
    """SQLite: an executemany of one row per update. PostgreSQL: one row of parameters, the
    update ids and payloads as two arrays unnested server-side (no per-row conversions)."""
    if dialect != "postgresql":
        return (
            sqlite.insert(InboxUpdate)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(InboxUpdate.update_id)
        )
    table = INBOX_TABLE
    rows = (
        func.unnest(
            bindparam("ids", type_=postgresql.ARRAY(BigInteger)),
            bindparam("payloads", type_=postgresql.ARRAY(Text)),
        )
        .table_valued("update_id", "payload")
        .render_derived()
    )
    source = select(
        rows.c.update_id,
        rows.c.payload,
        bindparam("status", type_=table.c.status.type),
        bindparam("attempts", type_=table.c.attempts.type),
        bindparam("locked_until", type_=table.c.locked_until.type),
        bindparam("received_at", type_=table.c.received_at.type),
    )
    columns = ["update_id", "payload", "status", "attempts", "locked_until", "received_at"]
    return (
        postgresql.insert(table)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id)
    )


class InboxRepository(Repository):
    async def add(self, update_id: int, payload: str, *, lease_until: datetime) -> bool:
        """Store the update; False when this ``update_id`` was stored before (a redelivery)."""
        new_id = await self.insert_ignore(
            InboxUpdate,
            {
                "update_id": update_id,
                "payload": payload,
                "status": InboxStatus.PENDING,
                "attempts": 1,
                "locked_until": lease_until,
            },
            conflict=["update_id"],
        )
        return new_id is not None

    async def add_many(
        self,
        updates: list[tuple[int, str]],
        *,
        now: datetime,
        lease_until: datetime,
        attempts: int = 1,
    ) -> set[int]:
        """Store a batch with one round trip; return the ids that were new. ``attempts=0``
        stores them as handed off: not started anywhere yet (``claim_handoff``).

        An executemany of one cached statement: SQLAlchemy sends it as multi-row VALUES
        ("insertmanyvalues") without compiling a new statement for every batch size."""
        connection = await self._session.connection()
        if self.dialect == "postgresql":
            params: Any = {
                "ids": [update_id for update_id, _ in updates],
                "payloads": [payload for _, payload in updates],
                "status": InboxStatus.PENDING,
                "attempts": attempts,
                "locked_until": lease_until,
                "received_at": now,
            }
        else:
            params = [
                {
                    "update_id": update_id,
                    "payload": payload,
                    "status": InboxStatus.PENDING,
                    "attempts": attempts,
                    "locked_until": lease_until,
                    "received_at": now,
                }
                for update_id, payload in updates
            ]
        result = await connection.execute(_insert_new(self.dialect), params)
        return set(result.scalars())

    async def prune(self, before: datetime) -> int:
        """Forget finished updates received before ``before``; return how many."""
        result = await self._session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.status != InboxStatus.PENDING, InboxUpdate.received_at < before
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def pending_payloads_for_update(self) -> list[InboxUpdate]:
        stmt = select(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.PENDING, InboxUpdate.payload != ""
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return list(await self._session.scalars(stmt))

    async def latest(self) -> InboxUpdate | None:
        """The update received last (its id and time: what an outage is measured from)."""
        return await self._session.scalar(
            select(InboxUpdate).order_by(InboxUpdate.received_at.desc(), InboxUpdate.id.desc())
        )

    async def get(self, update_id: int) -> InboxUpdate | None:
        return await self._session.scalar(
            select(InboxUpdate).where(InboxUpdate.update_id == update_id)
        )

    async def finish(
        self, update_id: int, *, at: datetime, status: InboxStatus, error: str | None = None
    ) -> None:
        await self._session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id)
            .values(status=status, processed_at=at, locked_until=None, error=error, payload="")
        )

    async def stale(self, now: datetime, limit: int = 100) -> list[int]:
        """Update ids left unfinished past their lease (their process died)."""
        stmt = (
            select(InboxUpdate.update_id)
            .where(
                InboxUpdate.status == InboxStatus.PENDING,
                or_(InboxUpdate.locked_until.is_(None), InboxUpdate.locked_until < now),
            )
            .order_by(InboxUpdate.update_id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))

    async def renew(self, update_ids: list[int], until: datetime) -> None:
        """Extend the lease of rows still being handled (their handler runs on)."""
        if not update_ids:
            return
        await self._session.execute(
            update(InboxUpdate)
            .where(
                InboxUpdate.update_id.in_(update_ids),
                InboxUpdate.status == InboxStatus.PENDING,
            )
            .values(locked_until=until)
        )

    async def attempts(self, update_id: int) -> int:
        value = await self._session.scalar(
            select(InboxUpdate.attempts).where(InboxUpdate.update_id == update_id)
        )
        return int(value or 0)

    async def claim(self, update_id: int, now: datetime, lease: timedelta) -> str | None:
        """Atomically take a stale row for re-processing; return its payload, or None if another
        worker holds it or it is finished."""
        stmt = (
            update(InboxUpdate)
            .where(
                and_(
                    InboxUpdate.update_id == update_id,
                    InboxUpdate.status == InboxStatus.PENDING,
                    or_(InboxUpdate.locked_until.is_(None), InboxUpdate.locked_until < now),
                )
            )
            .values(locked_until=now + lease, attempts=InboxUpdate.attempts + 1)
            .returning(InboxUpdate.payload)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def claim_handoff(self, update_id: int, now: datetime, lease: timedelta) -> str | None:
        """Atomically take a handed-off row (pending, never started: ``attempts`` 0) for the
        signal worker; return its payload, or None when recovery (or another worker) took it
        first or it is finished. A row being handled anywhere has ``attempts`` >= 1, so it is
        never taken here, whatever its lease says."""
        stmt = (
            update(InboxUpdate)
            .where(
                InboxUpdate.update_id == update_id,
                InboxUpdate.status == InboxStatus.PENDING,
                InboxUpdate.attempts == 0,
            )
            .values(locked_until=now + lease, attempts=1)
            .returning(InboxUpdate.payload)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()
