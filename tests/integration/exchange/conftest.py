"""Fixtures: a FakeExchangeAPI on 127.0.0.1 and real ccxt (via CcxtExchangeClient) aimed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.exchange.ccxt_client import CcxtExchangeClient
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets

SECRET = "fake-secret-do-not-leak-9f8e7d"

ClientFactory = Callable[..., CcxtExchangeClient]


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(
        balances={"USDT": "10000", "BTC": "0.5", "ETH": "2"},
        prices={"BTC/USDT": "50000", "ETH/USDT": "3000", "SOL/USDT": "150", "DOGE/USDT": "0.2"},
    ) as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def make_client(
    exchange_api: FakeExchangeAPI, clock: FakeClock
) -> AsyncIterator[ClientFactory]:
    """Build clients aimed at the fake; every one is closed at teardown."""
    clients: list[CcxtExchangeClient] = []

    def make(**overrides: Any) -> CcxtExchangeClient:
        kwargs: dict[str, Any] = {
            "api_key": exchange_api.api_key,
            "secret": SECRET,
            "urls_override": exchange_api.url,
            "markets": load_saved_markets(),
            "timeout_ms": 2000,
            "rate_limit": False,
            "retry_backoff_s": 0,
            "clock": clock,
        }
        kwargs.update(overrides)
        client = CcxtExchangeClient("binance", **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> CcxtExchangeClient:
    return make_client()
