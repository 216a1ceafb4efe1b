"""A factory's live clients share one set of market tables per venue (ccxt's advice for many
objects of one exchange): the first client of a venue builds them, the others take them by
reference, each venue keeps its own, and a client's tables still expire and are replaced by a
newer build (real ccxt objects; the first test against the fake Binance on 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import pytest

from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.ccxt_markets import TABLES, MarketTables
from services.exchange.factory import ExchangeFactory
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import CountingBinance, FakeExchangeAPI


def ccxt_object(client: object) -> Any:
    assert isinstance(client, CcxtExchangeClient)
    return client._ex  # noqa: SLF001 - the ccxt object's tables are the point


async def test_clients_of_a_factory_share_their_venue_s_tables(
    live_factory: ExchangeFactory, exchange_api: FakeExchangeAPI
) -> None:
    factory = live_factory
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


@pytest.fixture
def counting() -> type[CountingBinance]:
    CountingBinance.reset()
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
