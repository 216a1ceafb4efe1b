"""A factory's live clients share one set of market tables per venue (ccxt's advice for many
objects of one exchange): the first client of a venue builds them, the others take them by
reference, each venue keeps its own, and a client's tables still expire and are replaced by a
newer build (real ccxt objects; the first test against the fake Binance on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import ccxt.async_support as ccxt_async
import pytest
from cryptography.fernet import Fernet

from core.config import load_settings
from core.db.session import Database
from core.security import KeyStore
from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.ccxt_markets import TABLES, MarketTables
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import StaticFeed
from services.exchange.paper import PaperEngine
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.exchange_fapi import load_saved_fapi_markets


def ccxt_object(client: object) -> Any:
    assert isinstance(client, CcxtExchangeClient)
    return client._ex  # noqa: SLF001 - the ccxt object's tables are the point


@pytest.fixture
async def factory(db: Database, exchange_api: FakeExchangeAPI) -> AsyncIterator[ExchangeFactory]:
    settings = load_settings(None, exchange={"price_feed": "static"})
    made = ExchangeFactory(
        db,
        KeyStore([Fernet.generate_key()]),
        settings.exchange,
        PaperEngine(db, StaticFeed({"BTC/USDT": "50000"}), settings.exchange),
        urls_override=exchange_api.url,
        saved_markets={"binance": load_saved_markets(), "binance.swap": load_saved_fapi_markets()},
        rate_limit=False,
        client_options={"retry_backoff_s": 0, "timeout_ms": 2000},
    )
    yield made
    await made.aclose()


async def test_clients_of_a_factory_share_their_venue_s_tables(
    factory: ExchangeFactory, exchange_api: FakeExchangeAPI
) -> None:
    spot = [factory.client_for_keys("binance", exchange_api.api_key, f"s{i}") for i in range(3)]
    perp = [
        factory.client_for_keys("binance", exchange_api.api_key, f"s{i}", perp=True)
        for i in range(2)
    ]
    try:
        for client in spot + perp:
            await client.market("BTC/USDT" if client in spot else "BTC/USDT:USDT")
        first, *others = [ccxt_object(c) for c in spot]
        for name in TABLES:
            assert all(getattr(o, name) is getattr(first, name) for o in others), name
        futures = [ccxt_object(c) for c in perp]
        assert futures[0].markets is futures[1].markets
        assert futures[0].markets is not first.markets  # each venue its own
        assert "BTC/USDT:USDT" in futures[0].markets and "BTC/USDT:USDT" not in first.markets
        # the saved markets served them all: nothing was downloaded, orders still go out
        assert exchange_api.count("GET", "/api/v3/exchangeInfo") == 0
        assert (await spot[2].market("ETH/USDT")).symbol == "ETH/USDT"
    finally:
        for client in spot + perp:
            await client.close()


class CountingBinance(ccxt_async.binance):  # type: ignore[misc]  # ccxt ships no types
    """Real ccxt binance whose downloads and table builds are counted (saved markets)."""

    downloads = 0
    builds = 0

    def __init__(self) -> None:
        super().__init__({"enableRateLimit": False})
        self.timeout_on_exit = 0  # no sockets to wait for in close()

    async def load_markets(self, reload: bool = False, params: Any = None) -> Any:
        type(self).downloads += 1
        return self.set_markets(load_saved_markets())

    def set_markets(self, markets: Any, currencies: Any = None) -> Any:
        type(self).builds += 1
        return super().set_markets(markets, currencies)


@pytest.fixture
def counting() -> type[CountingBinance]:
    CountingBinance.downloads = CountingBinance.builds = 0
    return CountingBinance


def clients(n: int, clock: FakeClock, tables: MarketTables | None) -> list[CcxtExchangeClient]:
    return [
        CcxtExchangeClient(
            "binance",
            exchange=CountingBinance(),
            clock=clock,
            markets_ttl_s=60,
            market_tables=tables,
        )
        for _ in range(n)
    ]


async def test_one_build_serves_the_venue_until_it_expires_then_the_newer_one(
    counting: type[CountingBinance],
) -> None:
    clock = FakeClock()
    a, b, c = clients(3, clock, MarketTables())
    try:
        await a.market("BTC/USDT")
        await b.market("BTC/USDT")
        assert (counting.downloads, counting.builds) == (1, 1)
        clock.advance(61)  # the tables are past their minute: the next use reloads
        await b.market("BTC/USDT")
        assert counting.downloads == 2
        built = counting.builds
        await a.market("BTC/USDT")  # takes b's newer build instead of downloading again
        await c.market("BTC/USDT")
        assert (counting.downloads, counting.builds) == (2, built)
        assert ccxt_object(a).markets is ccxt_object(b).markets is ccxt_object(c).markets
    finally:
        for client in (a, b, c):
            await client.close()


async def test_clients_without_a_factory_s_tables_build_their_own(
    counting: type[CountingBinance],
) -> None:
    clock = FakeClock()
    made = clients(2, clock, None)
    try:
        for client in made:
            await client.market("BTC/USDT")
        assert counting.builds == 2
        assert ccxt_object(made[0]).markets is not ccxt_object(made[1]).markets
    finally:
        for client in made:
            await client.close()
