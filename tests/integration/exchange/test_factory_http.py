"""The factory's live clients share one HTTP connection pool, and each request still carries
its own client's key (real ccxt against the fake Binance on 127.0.0.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import ExchangeError
from services.exchange.base import ExchangeClient
from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.factory import ExchangeFactory
from tests.fakes.exchange_api import FakeExchangeAPI

OTHER_KEY = "k" * 64  # well formed, not the fake's: Binance answers -2015


@pytest.fixture
def factory(live_factory: ExchangeFactory) -> ExchangeFactory:
    return live_factory


async def usdt(client: ExchangeClient) -> Decimal:
    return next(b.free for b in await client.balances() if b.asset == "USDT")


def ccxt_session(client: object) -> object:
    assert isinstance(client, CcxtExchangeClient)
    return client._ex.session  # noqa: SLF001 - the ccxt object's HTTP session is the point


async def test_clients_share_one_pool_and_send_their_own_keys(
    factory: ExchangeFactory, exchange_api: FakeExchangeAPI
) -> None:
    mine = factory.client_for_keys("binance", exchange_api.api_key, "s")
    other = factory.client_for_keys("binance", OTHER_KEY, "s")
    try:
        await _share(factory, exchange_api, mine, other)
    finally:
        await mine.close()
        await other.close()


async def _share(
    factory: ExchangeFactory,
    exchange_api: FakeExchangeAPI,
    mine: ExchangeClient,
    other: ExchangeClient,
) -> None:
    assert await usdt(mine) > 0
    with pytest.raises(ExchangeError):
        await other.balances()
    assert ccxt_session(mine) is not None
    assert ccxt_session(mine) is ccxt_session(other)
    assert await usdt(mine) > 0  # the refused key left nothing behind
    keys = [r.api_key for r in exchange_api.requests if r.path == "/api/v3/account"]
    assert keys == [exchange_api.api_key, OTHER_KEY, exchange_api.api_key]

    await other.close()  # one client closing leaves the pool to the others
    assert await usdt(mine) > 0
    pool = ccxt_session(mine)
    await factory.aclose()  # the pool is the factory's: closed last
    assert getattr(pool, "closed", False)
