"""Auto mode end to end with the real trading service on the paper exchange: a followed
channel's entry is bought once per auto follower, and an edit after the trade changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.app import App
from core.db.models import Order, OutboxMessage, Signal, SignalEvent
from core.domain import OrderSide
from tests.bot.conftest import TRADER_ID, feed
from tests.bot.signals.test_intake import CHANNEL, ENTRY, post, register
from tests.fakes.telegram_api import FakeTelegramAPI


async def test_auto_follower_trades_once_and_a_later_edit_trades_nothing(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 50"))
    first = await post(app, telegram_api, ENTRY)
    message_id = first["channel_post"]["message_id"]
    await post(app, telegram_api, ENTRY, message_id=message_id)  # delivered twice
    async with app.db.session() as session:
        [signal] = list(await session.scalars(select(Signal)))
        [order] = list(await session.scalars(select(Order)))
    assert order.signal_id == signal.id and order.side is OrderSide.BUY
    assert order.symbol == "BTC/USDT"
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
    assert signal.stop_loss == Decimal(58000) and len(orders) == 1
    assert event.kind == "edit" and event.details["applied"] is False
    assert any("Auto-traded" in n for n in notes)
    assert any("not applied: already traded" in n for n in notes)
