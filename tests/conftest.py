"""Session-wide real services (PostgreSQL, redis-server on loopback) and per-test clean state.

Every test that reaches PostgreSQL or redis-server carries the ``postgres`` / ``redis`` marker,
derived here from the fixtures it uses (and the ``db``/``kv`` parameter it runs with), so
``pytest -m "not postgres and not redis"`` is the fast subset that starts neither.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Before anything imports matplotlib (the charts): its font cache and config go to a temp dir
# reused between runs, never to ~/.cache or ~/.config of a CI machine. An explicit one wins.
os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "tsbot-tests-matplotlib"))

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
import structlog
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from core.cache import KeyValue, RedisCache, RedisLocks, RedisRateLimiter, redis_client
from core.db import migrate
from core.db.base import Base
from core.db.session import Database
from services.exchange import ccxt_client
from services.exchange.circuit import forget_breakers
from tests.services import PostgresServer, RedisServer, postgres_server, redis_server

# The suite is deterministic: every property test draws the same examples on every run (a red
# CI means a change broke something, never that a new random example turned up). To explore
# with fresh randomness: HYPOTHESIS_PROFILE=explore pytest ... (then add what it finds as a
# fixed case). The explain phase is left out: on a huge failing input it takes minutes.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
hypothesis_settings.register_profile("ci", derandomize=True, phases=_PHASES)
hypothesis_settings.register_profile("explore", derandomize=False, phases=_PHASES)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# (fixture closure name, parametrised fixture and its value) that reach each service
SERVICE_MARKERS: dict[str, tuple[str, str, str]] = {
    "postgres": ("pg_server", "db", "postgres"),
    "redis": ("redis_srv", "kv", "redis"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        for marker, (server, fixture, value) in SERVICE_MARKERS.items():
            if server in fixtures or params.get(fixture) == value:
                item.add_marker(marker)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server(databases=("tsbot", "tsbot_migrations")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
async def databases() -> AsyncIterator[dict[str, Database]]:
    """Migrated databases by name, made on first use and closed at the end of the session."""
    made: dict[str, Database] = {}
    yield made
    for database in made.values():
        await database.aclose()


async def _postgres(databases: dict[str, Database], server: PostgresServer) -> Database:
    if "postgres" not in databases:
        database = Database(server.url("tsbot"))
        await migrate.upgrade(database)
        databases["postgres"] = database
    return databases["postgres"]


@pytest.fixture(scope="session")
async def pg_database(pg_server: PostgresServer, databases: dict[str, Database]) -> Database:
    return await _postgres(databases, pg_server)


@pytest.fixture(scope="session")
async def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    path = tmp_path_factory.mktemp("sqlite") / "tsbot.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await migrate.upgrade(db)
    yield db
    await db.aclose()


async def _truncate(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our table names
        else:
            # DELETE and a sequence reset: ~6 ms where TRUNCATE ... RESTART IDENTITY takes ~70
            # (it makes new files for every table), for each of a thousand tests
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our table names
            resets = ", ".join(
                f"setval(pg_get_serial_sequence('\"{n}\"', 'id'), 1, false)"
                for n in tables
                if "id" in Base.metadata.tables[n].c
            )
            await conn.execute(text(f"SELECT {resets}"))  # noqa: S608 - our table names


@pytest.fixture(params=["sqlite", "postgres"])
async def db(
    request: pytest.FixtureRequest, sqlite_database: Database, databases: dict[str, Database]
) -> AsyncIterator[Database]:
    """A migrated database with empty tables, once on SQLite and once on PostgreSQL."""
    # only the postgres case asks for the server (a plain fixture: it can be asked for from
    # inside the running loop), so the SQLite case never starts it
    if request.param == "sqlite":
        database = sqlite_database
    else:
        database = await _postgres(databases, request.getfixturevalue("pg_server"))
    await _truncate(database)
    yield database


@pytest.fixture
async def pg_db(pg_database: Database) -> AsyncIterator[Database]:
    """PostgreSQL only, empty tables."""
    await _truncate(pg_database)
    yield pg_database


@asynccontextmanager
async def _redis_kv(server: RedisServer) -> AsyncIterator[KeyValue]:
    client = redis_client(server.url())
    await client.flushdb()
    try:
        yield KeyValue(RedisCache(client), RedisRateLimiter(client), RedisLocks(client), client)
    finally:
        await client.flushdb()
        await client.aclose()


@pytest.fixture
async def redis_kv(redis_srv: RedisServer) -> AsyncIterator[KeyValue]:
    """The key-value layer on the real redis-server, flushed before and after."""
    async with _redis_kv(redis_srv) as kv:
        yield kv


@pytest.fixture(params=["memory", "redis"])
async def kv(request: pytest.FixtureRequest) -> AsyncIterator[KeyValue]:
    """The key-value layer, once in memory and once on the real redis-server."""
    if request.param == "memory":
        yield KeyValue.memory()
        return
    async with _redis_kv(request.getfixturevalue("redis_srv")) as redis_kv:
        yield redis_kv


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.fixture(autouse=True)
def _fresh_exchange_circuits() -> Iterator[None]:
    """Each test starts with every exchange circuit closed (a fault injected by one test must
    not leave the next one's exchange refused), and no market order priced by another test's
    ticker (the live clients' process-wide reference prices)."""
    forget_breakers()
    ccxt_client._REFERENCE_PRICES.clear()
    yield
    forget_breakers()
    ccxt_client._REFERENCE_PRICES.clear()
