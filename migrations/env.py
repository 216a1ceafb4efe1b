"""Alembic environment: async engine, URL from the project's settings.

When the caller hands over a connection (``config.attributes["connection"]``, as
``core.db.migrate`` and the tests do), migrations run on it; otherwise a fresh async engine is
built from ``DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from core.db import models  # noqa: F401  (registers every table on the metadata)
from core.db.base import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url")
    if url:
        return str(url)
    from core.config import load_settings

    return load_settings().database.url


# Indexes with a DESC column: SQLite reflects them without the order, so comparing them there
# would always report a difference; PostgreSQL reflects and compares them exactly.
_ORDERED_INDEXES = {
    str(index.name)
    for table in target_metadata.tables.values()
    for index in table.indexes
    if any(not hasattr(expr, "table") for expr in index.expressions)
}


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, _other: Any) -> bool:
    if type_ == "index" and name in _ORDERED_INDEXES:
        return context.get_context().dialect.name != "sqlite"
    return True


def _configure(connection: Connection | None = None, **kwargs: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
        **kwargs,
    )


def do_run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
