"""Numbers through the real dispatcher (issue 11, item 2): ``/buy btc 0,5`` buys 0.5 BTC on
paper (it bought 5), every way the number table writes a half buys a half, and an order whose
amount reads two ways (``1,000``) is asked back, by /buy and in plain language, and changes
nothing: no order, no plan, the balance as it was."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.app import App
from core.db.models import AICommand, Order
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.unit.numbers.table import ROWS, Ask

# BTC at 1,000 USDT so the paper account's 10,000 USDT buys a half many times over
CHEAP = {"price_feed": "static", "static_prices": {"BTC/USDT": "1000", "ETH/USDT": "100"}}
HALF = Decimal("0.5")


async def say(app: App, telegram_api: FakeTelegramAPI, text: str) -> str:
    before = len(telegram_api.messages(TRADER_ID))
    await feed(app, telegram_api.updates.message(TRADER_ID, text))
    replies = telegram_api.messages(TRADER_ID)[before:]
    assert len(replies) == 1, replies
    return str(replies[0]["text"])


async def orders(app: App) -> list[Order]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Order).order_by(Order.id)))


async def test_buy_btc_0_5_buys_half_a_bitcoin(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=CHEAP)
    reply = await say(app, telegram_api, "/buy btc 0,5")
    assert reply.startswith("✅ Bought 0.5 BTC on paper"), reply
    [order] = await orders(app)
    assert (order.symbol, order.side.value, order.amount) == ("BTC/USDT", "buy", HALF)
    assert "on paper" in await say(app, telegram_api, "/sell btc 0,25")
    assert [o.amount for o in await orders(app)] == [HALF, Decimal("0.25")]


async def test_every_way_the_table_writes_a_half_buys_a_half(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=CHEAP)
    halves = [r.written for r in ROWS if r.one_word and r.coins == HALF]
    assert len(halves) >= 6  # noqa: PLR2004 - comma, point, Arabic, Persian, full-width...
    for written in halves:
        reply = await say(app, telegram_api, f"/buy btc {written}")
        assert reply.startswith("✅ Bought 0.5 BTC on paper"), (written, reply)
    assert [o.amount for o in await orders(app)] == [HALF] * len(halves)


async def test_a_doubtful_amount_is_asked_back_and_changes_nothing(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=CHEAP)
    doubtful = [r.written for r in ROWS if isinstance(r.coins, Ask)]
    for written in doubtful:
        reply = await say(app, telegram_api, f"/buy btc {written}")
        assert "reads both ways, so nothing was done" in reply, (written, reply)
        assert "Something went wrong" not in reply
    reply = await say(app, telegram_api, "/buy btc 1,000")
    assert reply == (
        "Did you mean 1000 BTC or 1 BTC? 1,000 reads both ways, so nothing was done. "
        "Send /buy btc 1000 or /buy btc 1."
    )
    assert await orders(app) == []
    assert "USDT: 10,000" in await say(app, telegram_api, "/balance")
    assert "on paper" in await say(app, telegram_api, "/buy btc 1")  # the answer it suggested


async def test_plain_language_asks_back_and_plans_nothing(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=CHEAP)
    reply = await say(app, telegram_api, "buy 1,000 btc")
    assert reply == (
        "Did you mean 1000 BTC or 1 BTC? 1,000 reads both ways, so nothing was done. "
        "Send buy 1000 btc or buy 1 btc."
    )
    assert "reply_markup" not in telegram_api.messages(TRADER_ID)[-1]  # no Confirm button
    async with app.db.session() as session:
        [command] = list(await session.scalars(select(AICommand)))
    assert command.status == "failed" and command.outcome == reply
    assert await orders(app) == []
    plan = await say(app, telegram_api, "buy 0,5 btc")
    assert "buy 0.5 BTC/USDT" in plan, plan
