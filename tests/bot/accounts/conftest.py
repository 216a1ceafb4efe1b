"""Fixtures: the app with its live exchange clients aimed at FakeExchangeAPI (real ccxt)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from tests.bot.conftest import AppFactory
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets

FAST = {"rate_limit_per_minute": 6000, "rate_limit_burst": 200}
PRICES = {"BTC/USDT": "50000", "ETH/USDT": "3000", "SOL/USDT": "150"}


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(balances={"USDT": "1000", "BTC": "0.5"}, prices=PRICES) as fake:
        yield fake


@pytest.fixture
def markets_dir(tmp_path: Path) -> Path:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    return tmp_path


@pytest.fixture
async def accounts_app(
    make_app: AppFactory, exchange_api: FakeExchangeAPI, markets_dir: Path
) -> App:
    exchange: dict[str, Any] = {
        "api_url_override": exchange_api.url,
        "markets_dir": str(markets_dir),
        "price_feed": "static",
        "static_prices": PRICES,
    }
    return await make_app(exchange=exchange, limits=FAST)


def button_data(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
