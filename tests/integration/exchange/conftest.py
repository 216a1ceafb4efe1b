"""Fixtures: a FakeExchangeAPI on 127.0.0.1 and real ccxt (via CcxtExchangeClient) aimed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet

from core.config import load_settings
from core.db.session import Database
from core.security import KeyStore
from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import StaticFeed
from services.exchange.paper import PaperEngine
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.exchange_fapi import load_saved_fapi_markets

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


@pytest.fixture
async def live_factory(
    db: Database, exchange_api: FakeExchangeAPI
) -> AsyncIterator[ExchangeFactory]:
    """An ``ExchangeFactory`` whose live clients talk to the fake Binance (saved spot and perp
    markets: nothing downloaded), closed at teardown."""
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
