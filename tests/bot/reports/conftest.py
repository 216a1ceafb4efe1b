"""The report tests' app: PostgreSQL, Redis, the fake Bot API, paper prices set by hand, a fake
Binance for the live account's ticker, and a clock fixed at 16:00 UTC (01:00 the next day in
Tokyo), so "today" is the same whenever the tests run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.app import App
from tests.bot.conftest import AppFactory
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.exchange_fapi import load_saved_fapi_markets

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
PAPER_PRICES = {"BTC/USDT": "61500", "ETH/USDT": "3000"}
LIVE_PRICES = {"ETH/USDT": "3150"}


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(balances={"USDT": "1000"}, prices=LIVE_PRICES) as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def app(
    make_app: AppFactory, exchange_api: FakeExchangeAPI, clock: FakeClock, tmp_path: Path
) -> App:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    (tmp_path / "binance.swap.json").write_text(json.dumps(load_saved_fapi_markets()))
    exchange = {
        "api_url_override": exchange_api.url,
        "markets_dir": str(tmp_path),
        "price_feed": "static",
        "static_prices": PAPER_PRICES,
    }
    security = {"encryption_key": Fernet.generate_key().decode()}
    return await make_app(clock=clock, exchange=exchange, security=security)
