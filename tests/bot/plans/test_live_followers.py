"""Followers on live (fake Binance, real ccxt) accounts through the dispatcher: an order the
exchange refuses is told with the exchange's reason in plain words and the plan is marked
failed; a follower whose exchange fails never blocks the others."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from bot.app import App
from core.db.models import (
    ExchangeAccount,
    InboxUpdate,
    Order,
    OutboxMessage,
    Signal,
    TradePlan,
)
from core.domain import InboxStatus, OrderStatus, PlanStatus
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.plans.helpers import live_follower, notes
from tests.bot.signals.test_intake import post, register
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.exchange_fapi import load_saved_fapi_markets
from tests.fakes.telegram_api import FakeTelegramAPI

PRICES = {"BTC/USDT": "60000"}
SPOT = "BTC/USDT LONG\nEntry: market\nTP1: 62000\nTP2: 64000\nSL: 58000"
PAPER_FOLLOWER = 2302


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(
        balances={"USDT": "1000"}, prices=PRICES, futures_wallet="1000"
    ) as fake:
        fake.futures.set_price("BTCUSDT", "60000")
        yield fake


@pytest.fixture
async def live_app(make_app: AppFactory, exchange_api: FakeExchangeAPI, tmp_path: Path) -> App:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    (tmp_path / "binance.swap.json").write_text(json.dumps(load_saved_fapi_markets()))
    key = Fernet.generate_key().decode()
    return await make_app(
        exchange={
            "api_url_override": exchange_api.url,
            "markets_dir": str(tmp_path),
            "price_feed": "static",
            "static_prices": PRICES,
        },
        security={"encryption_key": key},
    )


async def _notes(app: App, telegram_id: int) -> list[str]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == telegram_id)
        )
        return list(rows)


async def test_an_exchange_refusal_is_told_in_plain_words_and_others_go_on(
    live_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    app = live_app
    await register(app, telegram_api)
    await live_follower(app, telegram_api, TRADER_ID, entry="market")
    await feed(app, telegram_api.updates.message(PAPER_FOLLOWER, "/start"))
    await feed(app, telegram_api.updates.message(PAPER_FOLLOWER, "/follow 1 auto 100"))
    exchange_api.fail_next(
        "POST /api/v3/order",
        code=-2010,
        msg="Account has insufficient balance for requested action.",
    )
    await post(app, telegram_api, SPOT)

    async with app.db.session() as session:
        plans = {p.account_id: p for p in await session.scalars(select(TradePlan))}
        orders = list(await session.scalars(select(Order)))
        accounts = {a.id: a for a in await session.scalars(select(ExchangeAccount))}
    live = next(p for a, p in plans.items() if not accounts[a].is_paper)
    paper = next(p for a, p in plans.items() if accounts[a].is_paper)
    assert live.status is PlanStatus.FAILED
    assert paper.status is PlanStatus.ACTIVE  # the other follower was not held up
    [refused] = [o for o in orders if o.account_id == live.account_id]
    assert refused.status is OrderStatus.REJECTED
    told = "\n".join(await _notes(app, TRADER_ID))
    assert "insufficient" in told.lower()
    assert exchange_api.count("POST", "/api/v3/order") == 1  # refused, never sent again


async def test_an_unreachable_exchange_is_retried_later_and_others_are_served(
    live_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    app = live_app
    await register(app, telegram_api)
    await live_follower(app, telegram_api, TRADER_ID, entry="market")
    await feed(app, telegram_api.updates.message(PAPER_FOLLOWER, "/start"))
    await feed(app, telegram_api.updates.message(PAPER_FOLLOWER, "/follow 1 auto 100"))
    exchange_api.fail_next("/api/v3/ticker/price", status=503, times=10)
    exchange_api.fail_next("/api/v3/ticker/24hr", status=503, times=10)
    await post(app, telegram_api, SPOT)  # the live follower's exchange is down
    async with app.db.session() as session:
        plans = list(await session.scalars(select(TradePlan)))
        [row] = list(await session.scalars(select(InboxUpdate).where(InboxUpdate.payload != "")))
    assert len(plans) == 1 and plans[0].status is PlanStatus.ACTIVE  # the paper follower
    assert row.status is InboxStatus.PENDING  # not failed: run again after its lease

    exchange_api.reset_faults()  # the exchange is back
    async with app.db.transaction() as session:  # the lease runs out
        await session.execute(
            update(InboxUpdate).values(locked_until=app.clock() - timedelta(seconds=1))
        )
    assert await app.recover_inbox() == 1
    await app.inbox.flush()  # the done mark is group-committed
    async with app.db.session() as session:
        plans = list(await session.scalars(select(TradePlan)))
        rerun = await session.get(InboxUpdate, row.id)
    assert len(plans) == 2 and {p.status for p in plans} == {PlanStatus.ACTIVE}
    assert rerun is not None and rerun.status is InboxStatus.DONE
    assert exchange_api.count("POST", "/api/v3/order") == 1  # the live follower's one order


PERP = "#BTC/USDT LONG\nLeverage: 5x\nEntry: market\nTP1: 62000\nTP2: 64000\nSL: 58000"


async def test_a_futures_signal_on_a_live_account_trades_perps_with_reduce_only_exits(
    live_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    app = live_app
    await register(app, telegram_api)
    await live_follower(app, telegram_api, TRADER_ID, entry="market")
    await post(app, telegram_api, PERP)
    async with app.db.session() as session:
        [plan] = list(await session.scalars(select(TradePlan)))
    assert plan.symbol == "BTC/USDT:USDT" and plan.status is PlanStatus.ACTIVE
    futures = exchange_api.futures
    assert futures.leverage("BTCUSDT") == 5 and futures.margin_type("BTCUSDT") == "ISOLATED"
    kinds = sorted((o.type, o.reduce_only) for o in futures.orders)
    assert kinds == [("LIMIT", True), ("LIMIT", True), ("MARKET", False), ("STOP_MARKET", True)]
    assert exchange_api.count("POST", "/api/v3/order") == 0  # never a spot order


async def test_an_exchange_outage_past_the_max_age_expires_the_signal_untraded(
    live_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    """F12: the follower's exchange is down when the post comes and stays down past the
    signal's max age (15 minutes): when it is back, the re-run tells the follower the signal
    is too old and trades nothing (a late fill is worse than none)."""
    app = live_app
    await register(app, telegram_api)
    await live_follower(app, telegram_api, TRADER_ID, entry="market")
    exchange_api.fail_next("/api/v3/ticker/price", status=503, times=10)
    exchange_api.fail_next("/api/v3/ticker/24hr", status=503, times=10)
    await post(app, telegram_api, SPOT)
    async with app.db.session() as session:
        [row] = list(await session.scalars(select(InboxUpdate).where(InboxUpdate.payload != "")))
    assert row.status is InboxStatus.PENDING

    exchange_api.reset_faults()  # back, but 20 minutes after the post
    async with app.db.transaction() as session:
        await session.execute(update(Signal).values(posted_at=app.clock() - timedelta(minutes=20)))
        await session.execute(
            update(InboxUpdate).values(locked_until=app.clock() - timedelta(seconds=1))
        )
    assert await app.recover_inbox() == 1
    await app.inbox.flush()
    async with app.db.session() as session:
        plans = list(await session.scalars(select(TradePlan)))
        rerun = await session.get(InboxUpdate, row.id)
    assert plans == [] and exchange_api.count("POST", "/api/v3/order") == 0
    assert rerun is not None and rerun.status is InboxStatus.DONE
    assert "old" in (await notes(app, TRADER_ID))[-1].lower()
