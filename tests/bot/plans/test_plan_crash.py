"""A real bot process killed (SIGKILL) between two legs of a plan: after a restart the plan
resumes and every leg reaches the exchange exactly once (fixed client order ids per leg, the
unknown first leg settled by the reconciler, not resent)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.db.models import PlanLeg, TradePlan
from core.db.session import Database
from core.domain import LegKind
from tests.bot.conftest import TRADER_ID, AppFactory
from tests.bot.plans.helpers import live_follower
from tests.bot.signals.test_intake import CHANNEL, register
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.processes import spawn_bot
from tests.services import RedisServer, free_port

PRICES = {"BTC/USDT": "61500"}
SPOT = "BTC/USDT LONG\nEntry: 60000-61000\nTP1: 62000\nTP2: 64000\nSL: 58000"
ORDER_PATH = "/api/v3/order"


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(balances={"USDT": "1000"}, prices=PRICES) as fake:
        yield fake


def _env(
    telegram_api: FakeTelegramAPI,
    db: Database,
    redis: RedisServer,
    exchange: FakeExchangeAPI,
    markets: Path,
    key: str,
) -> dict[str, str]:
    return {
        **os.environ,
        "BOT_TOKEN": "42:TEST-not-a-real-token-but-long-enough",
        "TELEGRAM_API_URL": telegram_api.url,
        "DATABASE_URL": db.url,
        "REDIS_URL": redis.url(),
        "ENCRYPTION_KEY": key,
        "EXCHANGE_API_URL": exchange.url,
        "EXCHANGE_MARKETS_DIR": str(markets),
        "EXCHANGE_TIMEOUT_MS": "30000",
        "PRICE_FEED": "static",
        "STATIC_PRICES": "BTC/USDT=61500",
        "INBOX_LEASE": "1",
        "LOCK_LEASE_S": "1",  # the killed process's locks free within a second
        "POLLING_TIMEOUT": "1",
        "LOG_LEVEL": "WARNING",
        "HEALTH_PORT": str(free_port()),  # never the default 8081 another process holds
    }


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await spawn_bot("run", env=env)


async def _until(exchange: FakeExchangeAPI, condition: Callable[[], bool]) -> None:
    """Wait (at most 90 s) for ``condition`` about the requests the fake exchange received."""
    async with asyncio.timeout(90):
        await exchange.wait_until(condition)


async def _follower(
    app_factory: AppFactory,
    exchange: FakeExchangeAPI,
    markets: Path,
    key: str,
    telegram_api: FakeTelegramAPI,
) -> None:
    """A trader following the channel in auto mode on a live (fake) Binance account, with
    three limit entries across the zone."""
    app = await app_factory(
        exchange={
            "api_url_override": exchange.url,
            "markets_dir": str(markets),
            "price_feed": "static",
            "static_prices": PRICES,
        },
        security={"encryption_key": key},
    )
    await register(app, telegram_api)
    await live_follower(app, telegram_api, TRADER_ID, entry="split", size="300")
    await app.aclose()


@pytest.mark.slow
async def test_killed_between_two_legs_resumes_without_a_duplicate_order(
    make_app: AppFactory,
    pg_db: Database,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    tmp_path: Path,
) -> None:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    key = Fernet.generate_key().decode()
    await _follower(make_app, exchange_api, tmp_path, key, telegram_api)
    telegram_api.token = None
    env = _env(telegram_api, pg_db, redis_srv, exchange_api, tmp_path, key)

    exchange_api.timeout_after_accept(1)  # the first leg is accepted; its answer never comes
    first = await _start(env)
    try:
        telegram_api.feed(telegram_api.updates.channel_post(CHANNEL, SPOT))
        await _until(exchange_api, lambda: exchange_api.count("POST", ORDER_PATH) >= 1)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.communicate()
    assert exchange_api.count("POST", ORDER_PATH) == 1  # killed between the first two legs

    second = await _start(env)
    try:
        await _until(exchange_api, lambda: exchange_api.count("POST", ORDER_PATH) >= 3)
        async with pg_db.session() as session:
            plan = await session.scalar(select(TradePlan))
            assert plan is not None
        await _until(exchange_api, lambda: _placed(exchange_api) == 3)
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = await second.communicate()
    assert second.returncode == 0, stderr.decode()[-2000:]
    ids = [
        r.params.get("newClientOrderId")
        for r in exchange_api.requests
        if r.method == "POST" and r.path == ORDER_PATH
    ]
    assert len(ids) == 3 and len(set(ids)) == 3  # each leg once
    async with pg_db.session() as session:
        legs = list(await session.scalars(select(PlanLeg).order_by(PlanLeg.id)))
    entries = [leg for leg in legs if leg.kind is LegKind.ENTRY]
    assert sorted(leg.client_order_id for leg in entries) == sorted(str(i) for i in ids)


def _placed(exchange: FakeExchangeAPI) -> int:
    return len(
        {
            r.params.get("newClientOrderId")
            for r in exchange.requests
            if r.method == "POST" and r.path == ORDER_PATH
        }
    )
