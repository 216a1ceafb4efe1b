"""A signal followed in auto mode by more traders than one batch holds, through the real
dispatcher on PostgreSQL: each gets exactly one plan, one entry order and one note, paid once
from their own paper balance, also when the post is delivered again; a follower whose paper
balance cannot pay is told why and nothing is placed for them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, update

from bot.app import App
from core.db.models import (
    ExchangeAccount,
    Order,
    OutboxMessage,
    PaperBalance,
    Subscription,
    TradePlan,
    User,
)
from core.domain import OrderStatus, PlanStatus, SubscriptionMode
from services.trade_plans.batch import CHUNK
from services.trade_plans.settings import FollowSettings
from tests.bot.conftest import AppFactory, feed
from tests.bot.signals.test_intake import post, register
from tests.fakes.telegram_api import FakeTelegramAPI

SPOT = "BTC/USDT LONG\nEntry: market\nTP1: 62000\nTP2: 64000\nSL: 58000"
FOLLOWERS = 2 * CHUNK + 3  # three chunks, the last one short


async def _followers(app: App, telegram_api: FakeTelegramAPI) -> list[int]:
    ids = [7000 + i for i in range(FOLLOWERS)]
    for telegram_id in ids:
        await feed(app, telegram_api.updates.message(telegram_id, "/start"))
        await feed(app, telegram_api.updates.message(telegram_id, "/follow 1 auto 100"))
    settings = FollowSettings(mode=SubscriptionMode.AUTO, size=Decimal(100))
    settings = settings.with_value("entry", "market")
    async with app.db.transaction() as session:
        await session.execute(update(Subscription).values(settings=settings.to_json()))
    return ids


async def test_every_follower_of_a_batch_gets_one_plan_and_one_order(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange={"price_feed": "static", "static_prices": {"BTC/USDT": "60000"}})
    await register(app, telegram_api)
    ids = await _followers(app, telegram_api)
    poor = ids[CHUNK + 1]  # in the middle chunk
    async with app.db.transaction() as session:
        user = await session.scalar(select(User).where(User.telegram_id == poor))
        assert user is not None
        account = await session.scalar(
            select(ExchangeAccount).where(ExchangeAccount.user_id == user.id)
        )
        assert account is not None
        await session.execute(
            update(PaperBalance)
            .where(PaperBalance.account_id == account.id)
            .values(free=Decimal(2))
        )
    first = await post(app, telegram_api, SPOT)
    await post(app, telegram_api, SPOT, message_id=first["channel_post"]["message_id"])

    async with app.db.session() as session:
        plans = list(await session.scalars(select(TradePlan)))
        orders = list(await session.scalars(select(Order)))
        spent = await session.scalar(
            select(func.count())
            .select_from(PaperBalance)
            .where(PaperBalance.asset == "USDT", PaperBalance.free < 10_000)
        )
        notes = list(await session.scalars(select(OutboxMessage.text)))
        told = list(
            await session.scalars(select(OutboxMessage.text).where(OutboxMessage.chat_id == poor))
        )
    assert len(plans) == FOLLOWERS - 1
    assert all(p.status is PlanStatus.ACTIVE and p.filled_qty > 0 for p in plans)
    assert len(orders) == FOLLOWERS - 1 and all(o.status is OrderStatus.FILLED for o in orders)
    assert len({o.plan_id for o in orders}) == FOLLOWERS - 1
    assert all(o.amount == Decimal("0.00166666") for o in orders)  # 100 USDT at 60,000
    assert spent == FOLLOWERS  # each paid once (the poor one had 2 from the start)
    placed = [n for n in notes if "Orders placed" in n]
    assert len(placed) == FOLLOWERS - 1
    assert len(told) == 2 and "New signal" in told[0] and "Orders placed" not in told[1]
