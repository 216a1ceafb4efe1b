"""F13: notifications failing must not block trading. Telegram answers the bot's messages with
429 (and a 500) while a channel's signal is traded: every auto follower's plan and entry order
are placed all the same, and each note reaches its follower once Telegram answers again."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from core.db.models import Order, OutboxMessage
from core.domain import OutboxStatus
from tests.bot.conftest import TRADER_ID, feed
from tests.bot.plans.helpers import plans_of
from tests.bot.signals.test_intake import post, register
from tests.fakes.telegram_api import FakeTelegramAPI

SECOND_ID = 2302
SIGNAL = "BTC/USDT LONG\nEntry: market\nTP1: 62000\nTP2: 64000\nSL: 58000"


async def test_orders_go_out_while_telegram_refuses_and_notes_follow(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    for user in (TRADER_ID, SECOND_ID):
        await feed(app, telegram_api.updates.message(user, "/start"))
        await feed(app, telegram_api.updates.message(user, "/follow 1 auto 100"))
    assert await app.outbox.flush(limit_s=10) == 0
    sent_before = {u: len(telegram_api.messages(u)) for u in (TRADER_ID, SECOND_ID)}

    telegram_api.fail("sendMessage", 429, retry_after=1, times=2)
    telegram_api.fail("sendMessage", 500)
    await post(app, telegram_api, SIGNAL)
    await app.outbox.drain_once()  # the sender meets the refusals now, not after the trade

    for user in (TRADER_ID, SECOND_ID):  # traded regardless of Telegram
        [plan] = await plans_of(app, user)
        assert plan.filled_qty > 0
    async with app.db.session() as session:
        orders = list(await session.scalars(select(Order)))
    assert len(orders) == 2 and len({o.client_order_id for o in orders}) == 2

    assert await app.outbox.flush(limit_s=30) == 0  # Telegram answers again: all delivered
    assert telegram_api.api.pop_fault("sendMessage") is None  # every refusal was met
    async with app.db.session() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SENT}
    for user in (TRADER_ID, SECOND_ID):
        new = telegram_api.messages(user)[sent_before[user] :]
        texts = [m.get("text", "") for m in new]
        assert len(texts) == len(set(texts)), texts  # none twice
        assert any("BTC" in t for t in texts)
