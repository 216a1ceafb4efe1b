"""Migrations: upgrade head on an empty database yields exactly the models; downgrade works."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from core.db import migrate
from core.db.base import Base
from core.db.session import Database
from tests.services import PostgresServer


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_db(
    request: pytest.FixtureRequest, tmp_path: Path, pg_server: PostgresServer
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    else:
        db = Database(pg_server.url("tsbot_migrations"))
    yield db
    await migrate.run(db, "downgrade", "base")
    await db.aclose()


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_matches_models_and_downgrade_empties(empty_db: Database) -> None:
    await migrate.upgrade(empty_db)
    assert await _tables(empty_db) - {"alembic_version"} == set(Base.metadata.tables)
    await migrate.run(empty_db, "check")  # raises when models and schema differ
    await migrate.run(empty_db, "downgrade", "base")
    assert await _tables(empty_db) - {"alembic_version"} == set()
    await migrate.upgrade(empty_db)  # and up again, cleanly
