"""``ExchangeFactory.client_for_row``: a live client built from an account row the caller has
just read (a signal's live followers), under the same cache and bounds as ``client_for_account``
(T10: idle clients closed, at most ``MAX_CLIENTS``), refusing a deactivated account or someone
else's, and never leaving two clients for one account when both roads race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from core.config import load_settings
from core.db.models import ExchangeAccount, User
from core.db.session import Database
from core.errors import NotFound
from core.security import KeyStore
from services.exchange import factory as factory_module
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import StaticFeed
from services.exchange.paper import PaperEngine
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.integration.exchange.conftest import SECRET


@pytest.fixture
def keystore() -> KeyStore:
    return KeyStore([Fernet.generate_key()])


@pytest.fixture
async def made(
    db: Database, exchange_api: FakeExchangeAPI, keystore: KeyStore, clock: FakeClock
) -> AsyncIterator[ExchangeFactory]:
    settings = load_settings(None, exchange={"price_feed": "static"})
    factory = ExchangeFactory(
        db,
        keystore,
        settings.exchange,
        PaperEngine(db, StaticFeed({"BTC/USDT": "50000"}), settings.exchange),
        urls_override=exchange_api.url,
        saved_markets={"binance": load_saved_markets()},
        rate_limit=False,
        clock=clock,
        client_options={"retry_backoff_s": 0, "timeout_ms": 2000},
    )
    yield factory
    await factory.aclose()


async def accounts(
    db: Database, keystore: KeyStore, api_key: str, n: int
) -> list[ExchangeAccount]:
    """``n`` live Binance accounts of one trader, as a caller reads them."""
    async with db.transaction() as session:
        user = User(telegram_id=4343)
        session.add(user)
        await session.flush()
        rows = [
            ExchangeAccount(
                user_id=user.id,
                exchange_id="binance",
                label=f"live{i}",
                api_key_enc=keystore.encrypt(api_key),
                secret_enc=keystore.encrypt(SECRET),
            )
            for i in range(n)
        ]
        session.add_all(rows)
        await session.flush()
        for row in rows:
            await session.refresh(row)
    return rows


async def test_a_row_gives_the_cached_client_with_its_own_keys(
    db: Database, made: ExchangeFactory, keystore: KeyStore, exchange_api: FakeExchangeAPI
) -> None:
    (row,) = await accounts(db, keystore, exchange_api.api_key, 1)

    client = made.client_for_row(row, row.user_id)
    assert made.client_for_row(row, row.user_id) is client
    assert await made.client_for_account(row.id) is client  # one cache for both roads
    assert made.client_for_row(row, row.user_id, perp=True) is not client  # the perp client

    assert any(b.asset == "USDT" and b.free > 0 for b in await client.balances())
    assert exchange_api.last("GET", "/api/v3/account").api_key == exchange_api.api_key


async def test_a_deactivated_account_or_another_users_is_refused(
    db: Database, made: ExchangeFactory, keystore: KeyStore, exchange_api: FakeExchangeAPI
) -> None:
    mine, gone = await accounts(db, keystore, exchange_api.api_key, 2)
    gone.is_active = False

    with pytest.raises(NotFound):
        made.client_for_row(gone, gone.user_id)
    with pytest.raises(NotFound):
        made.client_for_row(mine, mine.user_id + 1)
    assert made._clients == {}  # noqa: SLF001 - nothing was built for a refused row


async def test_idle_row_clients_are_closed_and_the_cache_stays_bounded(
    db: Database,
    made: ExchangeFactory,
    keystore: KeyStore,
    exchange_api: FakeExchangeAPI,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = await accounts(db, keystore, exchange_api.api_key, 4)
    first = made.client_for_row(rows[0], rows[0].user_id)
    closed: list[object] = []
    original = first.close

    async def record_close() -> None:
        closed.append(first)
        await original()

    first.close = record_close  # type: ignore[method-assign] # observe the idle sweep closing it
    clock.advance(timedelta(minutes=16))
    made.client_for_row(rows[1], rows[1].user_id)  # building another sweeps the idle ones
    await asyncio.sleep(0)  # the close runs as its own task
    assert closed == [first]
    assert made.client_for_row(rows[0], rows[0].user_id) is not first  # built again

    monkeypatch.setattr(factory_module, "MAX_CLIENTS", 2)
    clock.advance(timedelta(minutes=2))  # both idle over a minute: closable beyond the bound
    made.client_for_row(rows[2], rows[2].user_id)
    made.client_for_row(rows[3], rows[3].user_id)
    assert sorted(key for key, _ in made._clients) == [rows[2].id, rows[3].id]  # noqa: SLF001


async def test_both_roads_racing_leave_one_client(
    db: Database, made: ExchangeFactory, keystore: KeyStore, exchange_api: FakeExchangeAPI
) -> None:
    """``client_for_account`` reads the row (an await) while ``client_for_row`` builds the same
    key: the read one finds it cached and keeps it, rather than building (and leaking) a
    second client with the same keys."""
    (row,) = await accounts(db, keystore, exchange_api.api_key, 1)
    reading = asyncio.create_task(made.client_for_account(row.id))
    await asyncio.sleep(0)  # it holds the lock and awaits its read
    assert not reading.done()
    built = made.client_for_row(row, row.user_id)
    assert await reading is built
    assert len(made._clients) == 1  # noqa: SLF001
