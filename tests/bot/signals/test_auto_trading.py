"""Auto mode end to end with the real trading service on the paper exchange: a followed
channel's entry becomes one plan per auto follower (delivered twice, still one plan and one
entry order), and an edit after the plan traded leaves the signal as it was and moves the
plan's stop (no new entry)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.app import App
from core.db.models import Order, OutboxMessage, Signal, SignalEvent, TradePlan
from core.domain import OrderSide
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.signals.test_intake import CHANNEL, ENTRY, post, register
from tests.fakes.telegram_api import FakeTelegramAPI

STATIC = {"price_feed": "static", "static_prices": {"BTC/USDT": "60500"}}


async def test_auto_follower_trades_once_and_a_later_edit_only_moves_the_plans_stop(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app: App = await make_app(exchange=STATIC)
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 50"))
    first = await post(app, telegram_api, ENTRY)
    message_id = first["channel_post"]["message_id"]
    await post(app, telegram_api, ENTRY, message_id=message_id)  # delivered twice
    async with app.db.session() as session:
        [signal] = list(await session.scalars(select(Signal)))
        [plan] = list(await session.scalars(select(TradePlan)))
        placed = list(await session.scalars(select(Order).order_by(Order.id)))
    [order] = [o for o in placed if "-e" in o.client_order_id]  # one entry, then TPs and stop
    assert all(o.reduce_only for o in placed if o is not order)
    assert plan.signal_id == signal.id and plan.symbol == "BTC/USDT:USDT"  # 10x: a perp
    assert order.signal_id == signal.id and order.side is OrderSide.BUY
    assert order.plan_id == plan.id and order.leverage == 10
    assert await app.services["trading_service"].traded_signal_ids([signal.id]) == {signal.id}

    edited = ENTRY.replace("SL: 58000", "SL: 50000")
    await feed(app, telegram_api.updates.edited_channel_post(CHANNEL, message_id, edited))
    async with app.db.session() as session:
        [signal] = list(await session.scalars(select(Signal)))
        orders = list(await session.scalars(select(Order)))
        [event] = list(await session.scalars(select(SignalEvent)))
        notes = list(
            await session.scalars(
                select(OutboxMessage.text).where(OutboxMessage.chat_id == TRADER_ID)
            )
        )
    assert signal.stop_loss == Decimal(58000)  # the signal keeps its first reading
    # the plan takes the edit's stop: one more order, a reduce-only stop at 50,000, the old
    # stop cancelled; no new entry
    [moved] = [o for o in orders if o.id not in {p.id for p in placed}]
    assert moved.reduce_only and moved.price == Decimal(50000)
    assert len([o for o in orders if "-e" in o.client_order_id]) == 1
    assert event.kind == "edit" and event.details["applied"] is False
    assert any("Plan #" in n for n in notes)
    assert any("not applied: already traded" in n for n in notes)
