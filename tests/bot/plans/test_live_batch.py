"""Live spot followers are served set-based (``services.trade_plans.live_batch``), through the
real dispatcher, real ccxt and the fake Binance: each gets exactly one plan, one order sent
once with its leg's client order id, and one note, also when the post is delivered again; none
takes the one-by-one road; a follower whose exchange refuses is told why, the others go on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.app import App
from core.db.models import Order, OutboxMessage, PlanLeg, TradePlan, User
from core.domain import LegStatus, OrderStatus, PlanStatus
from services.trade_plans.intake import PlanIntake
from services.users import to_view
from tests.bot.conftest import AppFactory
from tests.bot.plans.helpers import live_follower
from tests.bot.signals.test_intake import post, register
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.telegram_api import FakeTelegramAPI

PRICES = {"BTC/USDT": "60000"}
SPOT = "BTC/USDT LONG\nEntry: market\nTP1: 62000\nTP2: 64000\nSL: 58000"
FOLLOWERS = [8100 + i for i in range(12)]
ORDER_PATH = "/api/v3/order"


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(balances={"USDT": "100000"}, prices=PRICES) as fake:
        yield fake


@pytest.fixture
async def live_app(make_app: AppFactory, exchange_api: FakeExchangeAPI, tmp_path: Path) -> App:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    return await make_app(
        exchange={
            "api_url_override": exchange_api.url,
            "markets_dir": str(tmp_path),
            "price_feed": "static",
            "static_prices": PRICES,
        },
        security={"encryption_key": Fernet.generate_key().decode()},
    )


@pytest.fixture
def one_by_one(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The users ``PlanIntake._plan_for`` (the one-by-one road) was called for."""
    seen: list[int] = []
    original = PlanIntake._plan_for

    async def spy(self: PlanIntake, view: Any, follower: Any) -> None:
        seen.append(follower.user.telegram_id)
        await original(self, view, follower)

    monkeypatch.setattr(PlanIntake, "_plan_for", spy)
    return seen


async def test_live_followers_get_one_plan_and_one_order_each_set_based(
    live_app: App,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    one_by_one: list[int],
) -> None:
    app = live_app
    await register(app, telegram_api)
    for telegram_id in FOLLOWERS:
        await live_follower(app, telegram_api, telegram_id, entry="market", size="100")
    first = await post(app, telegram_api, SPOT)
    assert one_by_one == []  # nobody took the one-by-one road
    # delivered again: each plan is found (and resumed one by one), nothing is sent twice
    await post(app, telegram_api, SPOT, message_id=first["channel_post"]["message_id"])

    async with app.db.session() as session:
        plans = list(await session.scalars(select(TradePlan)))
        orders = list(await session.scalars(select(Order)))
        legs = {leg.client_order_id: leg for leg in await session.scalars(select(PlanLeg))}
        notes = list(await session.scalars(select(OutboxMessage.text)))
    assert len(plans) == len(FOLLOWERS)
    assert all(p.status is PlanStatus.ACTIVE and p.filled_qty > 0 for p in plans)
    assert len(orders) == len(FOLLOWERS)
    assert all(o.status is OrderStatus.FILLED and o.exchange_order_id for o in orders)
    assert {o.plan_id for o in orders} == {p.id for p in plans}
    for order in orders:  # each entry leg knows its order, placed (and filled since)
        leg = legs[order.client_order_id]
        assert leg.order_id == order.id and leg.status is not LegStatus.PLANNED
    sent = [
        r.params.get("newClientOrderId")
        for r in exchange_api.requests
        if r.method == "POST" and r.path == ORDER_PATH
    ]
    assert sorted(sent) == sorted(o.client_order_id for o in orders)  # each sent once
    assert len([n for n in notes if "Orders placed" in n]) == len(FOLLOWERS)


async def test_a_refusal_in_the_batch_is_told_and_the_others_go_on(
    live_app: App,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    one_by_one: list[int],
) -> None:
    app = live_app
    await register(app, telegram_api)
    for telegram_id in FOLLOWERS[:4]:
        await live_follower(app, telegram_api, telegram_id, entry="market", size="100")
    exchange_api.fail_next(
        "POST /api/v3/order",
        code=-2010,
        msg="Account has insufficient balance for requested action.",
    )
    await post(app, telegram_api, SPOT)

    async with app.db.session() as session:
        plans = list(await session.scalars(select(TradePlan)))
        orders = list(await session.scalars(select(Order)))
        failed_chat = await session.scalar(
            select(OutboxMessage.chat_id).where(OutboxMessage.text.ilike("%insufficient%"))
        )
    assert one_by_one == []
    assert sorted(p.status.value for p in plans) == sorted(
        [PlanStatus.FAILED.value] + [PlanStatus.ACTIVE.value] * 3
    )
    assert sorted(o.status.value for o in orders) == sorted(
        [OrderStatus.REJECTED.value] + [OrderStatus.FILLED.value] * 3
    )
    assert failed_chat in FOLLOWERS[:4]
    assert exchange_api.count("POST", ORDER_PATH) == 4  # the refused one never sent again


async def test_the_batch_drops_the_followers_cached_balance(
    live_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    """A follower's balance view (cached a minute) shows the batch's order at once."""
    app = live_app
    await register(app, telegram_api)
    [telegram_id] = FOLLOWERS[:1]
    await live_follower(app, telegram_api, telegram_id, entry="market", size="100")
    async with app.db.session() as session:
        row = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert row is not None
        user = to_view(row)
    trading = app.services["trading_service"]
    before = await trading.balance(user, "main")
    await post(app, telegram_api, SPOT)
    after = await trading.balance(user, "main")
    free = {asset: amount for asset, amount, _ in after.assets}
    assert free != {asset: amount for asset, amount, _ in before.assets}
    assert free.get("BTC", 0) > 0
