"""Shared repository helpers: dialect-neutral ``INSERT ... ON CONFLICT DO NOTHING``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import Base


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def insert_ignore(
        self, model: type[Base], values: dict[str, Any], conflict: Sequence[str]
    ) -> int | None:
        """Insert unless a row with the same ``conflict`` key exists; return the new id or None.

        Built from the dialect in use, so the same call works on PostgreSQL and SQLite.
        """
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(model)
            .values(**values)
            .on_conflict_do_nothing(index_elements=list(conflict))
            .returning(model.id)  # type: ignore[attr-defined]  # every model has id; Base does not
        )
        new_id: int | None = (await self._session.execute(stmt)).scalar_one_or_none()
        return new_id

    async def insert_many_ignore(
        self,
        model: type[Base],
        rows: Sequence[dict[str, Any]],
        conflict: Sequence[str],
        returning: Sequence[Any] = (),
    ) -> list[Any]:
        """``insert_ignore`` for many rows in one statement; the ``returning`` columns of the
        rows inserted (conflicting ones are skipped)."""
        if not rows:
            return []
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        # executemany over the table: one statement compiled once (and cached) whatever the
        # row count, sent as multi-row VALUES pages ("insertmanyvalues"); a ``.values(rows)``
        # statement was compiled afresh for each call (~1.5 ms a plan row, see PERFORMANCE)
        table = cast("Table", model.__table__)  # every model is mapped to a Table
        stmt = insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        if not returning:
            await self._session.execute(stmt, list(rows))
            return []
        return list((await self._session.execute(stmt.returning(*returning), list(rows))).all())
