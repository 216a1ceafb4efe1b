"""Perp orders through the whole bot (issue 9): ``/buy``/``/sell`` with ``10x`` or ``perp`` on
the paper perp account (money is margin, the position margin x leverage, the liquidation price
shown), a short limit that rests, ``/positions`` with every perp field, the same plan from
plain language, and leverage out of range answered with nothing changed."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.app import App
from core.db.models import ExchangeAccount, Order
from core.domain import MarketType, OrderSide, OrderStatus, OrderType
from tests.bot.accounts.conftest import button_data
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.trading.test_trading_bot import say
from tests.fakes.telegram_api import FakeTelegramAPI

PRICES = {"BTC/USDT": "64000", "ETH/USDT": "3000", "SOL/USDT": "150"}
STATIC = {"price_feed": "static", "static_prices": PRICES}


def plain(text: str) -> str:
    """A reply as the user reads it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


async def ask(app: App, telegram_api: FakeTelegramAPI, text: str) -> str:
    return plain(await say(app, telegram_api, TRADER_ID, text))


async def orders(app: App) -> list[tuple[Order, ExchangeAccount]]:
    async with app.db.session() as session:
        rows = await session.execute(
            select(Order, ExchangeAccount)
            .join(ExchangeAccount, ExchangeAccount.id == Order.account_id)
            .order_by(Order.id)
        )
        return [(order, account) for order, account in rows.all()]


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    return await make_app(exchange=STATIC)


async def test_buy_with_leverage_opens_a_paper_perp_long(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    reply = await ask(app, telegram_api, "/buy btc 100usdt 10x")
    # 100 USDT margin x 10 = 1,000 USDT of BTC at 64,000 = 0.015625 BTC
    assert reply.startswith("✅ Bought 0.015625 BTC on paper perps at 10x: filled at 64,032")
    assert "Long at 10x: margin 100.00 USDT × 10 = notional ≈ 1,000.00 USDT" in reply
    # by hand: (100 - 1,000) / (0.015625 * 0.004 - 0.015625) = 57,831.33
    assert "Liquidation ≈ 57,831.33 USDT (isolated margin)" in reply
    [(order, account)] = await orders(app)
    assert (order.symbol, order.side, order.amount, order.leverage, order.reduce_only) == (
        "BTC/USDT:USDT",
        OrderSide.BUY,
        Decimal("0.015625"),
        10,
        False,
    )
    assert (account.label, account.market_type, account.is_paper) == (
        "paper-perp",
        MarketType.PERP,
        True,
    )
    positions = await ask(app, telegram_api, "/positions")
    line = next(x for x in positions.splitlines() if x.startswith("BTC/USDT:USDT"))
    assert line.startswith("BTC/USDT:USDT long 0.015625 BTC at 10x: entry 64,032")
    for part in ("mark 64,000", "liquidation 57,", "margin 100.", "P/L -"):
        assert part in line, line
    assert "paper perps" in positions


async def test_sell_with_a_price_and_leverage_rests_a_short_limit(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    reply = await ask(app, telegram_api, "/sell eth 0.5 at 3100 5x")
    assert reply.startswith(
        "⏳ order #1 on paper perps at 5x: sell 0.5 ETH at 3,100 USDT is open and waits"
    )
    assert "Short at 5x: margin 310.00 USDT × 5 = notional ≈ 1,550.00 USDT" in reply
    # a short's lies above its entry; by hand: (310 + 1,550) / (0.5 * 0.004 + 0.5) = 3,705.18
    assert "Liquidation ≈ 3,705.18 USDT (isolated margin)" in reply
    [(order, _account)] = await orders(app)
    assert (order.symbol, order.side, order.type, order.price, order.leverage) == (
        "ETH/USDT:USDT",
        OrderSide.SELL,
        OrderType.LIMIT,
        Decimal(3100),
        5,
    )
    assert order.status is OrderStatus.OPEN
    assert "sell 0.5 ETH/USDT @ 3,100 · open · paper perps" in await ask(
        app, telegram_api, "/orders"
    )


async def test_an_opposite_order_closes_the_position_first(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await ask(app, telegram_api, "/buy btc 0.01 10x")
    reply = await ask(app, telegram_api, "/sell btc 0.01 perp")
    assert "It first closes 0.01 of your open long" in reply
    assert "Liquidation" not in reply  # nothing new is opened
    assert "BTC/USDT:USDT" not in await ask(app, telegram_api, "/positions")


async def test_a_leverage_the_exchange_keeps_is_said(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await ask(app, telegram_api, "/buy btc 0.01 10x")
    reply = await ask(app, telegram_api, "/buy btc 0.01 5x")  # a position is open at 10x
    assert "on paper perps at 10x" in reply
    assert "The exchange kept 10x instead of the 5x you asked for" in reply
    assert [order.leverage for order, _ in await orders(app)] == [10, 10]
    assert "BTC/USDT:USDT long 0.02 BTC at 10x" in await ask(app, telegram_api, "/positions")


async def test_plain_language_gives_the_same_plan(app: App, telegram_api: FakeTelegramAPI) -> None:
    card_lines = (await ask(app, telegram_api, "/sell eth 0.5 at 3100 5x")).splitlines()[1:]
    await feed(app, telegram_api.updates.message(TRADER_ID, "short eth 0.5 at 3100 5x"))
    plan = next(m for m in reversed(telegram_api.messages(TRADER_ID)) if "reply_markup" in m)
    text = plain(plan["text"])
    assert "sell 0.5 ETH/USDT:USDT at 3,100" in text and "paper-perp (paper)" in text
    assert all(line in text for line in card_lines), (card_lines, text)
    await feed(app, telegram_api.updates.callback(TRADER_ID, plan, button_data(plan)["Confirm"]))
    [first, second] = [order for order, _ in await orders(app)]
    fields = ("symbol", "side", "type", "amount", "price", "leverage", "status", "account_id")
    assert [getattr(second, f) for f in fields] == [getattr(first, f) for f in fields]


@pytest.mark.parametrize(
    "text",
    [
        "/buy btc 100usdt 0x",
        "/buy btc 100usdt 200x",
        "/sell eth 0.5 at 3100 126x",
        "long btc 100 usdt 200x",
        "short eth 0.5 at 3100 0x",
    ],
)
async def test_bad_leverage_gets_the_range_and_changes_nothing(
    app: App, telegram_api: FakeTelegramAPI, text: str
) -> None:
    reply = await ask(app, telegram_api, text)
    assert "Leverage is a whole number from 1x to 125x" in reply
    assert "nothing was done" in reply
    assert await orders(app) == []
    assert "reply_markup" not in telegram_api.last("sendMessage")


async def test_perp_words_are_refused_where_they_cannot_work(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    assert "give the margin in money" in await ask(app, telegram_api, "/buy btc all 10x")
    assert "Give the leverage once" in await ask(app, telegram_api, "/buy btc 1 5x 10x")
    assert await orders(app) == []


async def test_help_names_perps_and_funding(app: App, telegram_api: FakeTelegramAPI) -> None:
    text = await ask(app, telegram_api, "/help")
    assert "10x or perp opens a paper perp long" in text and "no funding on paper" in text
    assert "/buy btc 100usdt 10x" in await ask(app, telegram_api, "/help buy")
