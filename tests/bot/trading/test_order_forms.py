"""Orders as people write them, through the whole bot (issue 15, items 5 and 6): amounts in
coins, money and shares, stop orders that wait for their trigger, several prices in one reply,
usage errors that show the usage, /follow amounts, and the pairs paper trading has."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.app import App
from core.db.models import Order, Subscription
from core.domain import OrderStatus, OrderType, Role
from services.exchange.feeds import StaticFeed
from tests.bot.conftest import TRADER_ID, VIEWER_ID, AppFactory, drain_outbox
from tests.bot.signals.test_intake import register
from tests.bot.trading.test_trading_bot import say, texts_to, trading
from tests.fakes.telegram_api import FakeTelegramAPI

PRICES = {"BTC/USDT": "64000", "ETH/USDT": "3000", "SOL/USDT": "150"}
STATIC = {"price_feed": "static", "static_prices": PRICES}
DEMO_PAIRS = "BNB/USDT, BTC/USDT, DOGE/USDT, ETH/USDT, SOL/USDT, XRP/USDT"


async def orders(app: App) -> list[Order]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Order).order_by(Order.id)))


async def ask(app: App, telegram_api: FakeTelegramAPI, text: str, user_id: int = TRADER_ID) -> str:
    """The bot's one reply, as the user reads it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", await say(app, telegram_api, user_id, text)))


# One paper account, in this order: what each form did.
SCRIPT = [
    ("/buy btc 10 usdt", "✅ Bought 0.00015625 BTC on paper"),  # 10 / 64,000
    ("/buy btc 50$", "✅ Bought 0.00078125 BTC on paper"),
    ("/buy btc $50", "✅ Bought 0.00078125 BTC on paper"),
    ("/buy BTC 0.0001 BTC", "✅ Bought 0.0001 BTC on paper"),
    ("/buy eth 1", "✅ Bought 1 ETH on paper"),
    ("/sell eth 50%", "✅ Sold 0.5 ETH on paper"),
    ("/sell eth 50 %", "✅ Sold 0.25 ETH on paper"),
    ("/sell btc all", "✅ Sold 0.00181875 BTC on paper"),  # everything bought above
    ("/sell btc all", "You have no free BTC to sell on paper."),
    ("/sell eth 150%", "A share is above 0% and at most 100%"),
]


@pytest.mark.parametrize("step", range(len(SCRIPT)), ids=[t for t, _ in SCRIPT])
async def test_amounts_in_coins_money_and_shares(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, step: int
) -> None:
    """Each step replays the script up to it (a table over one account's history)."""
    app = await make_app(exchange=STATIC)
    for text, expected in SCRIPT[: step + 1]:
        reply = await ask(app, telegram_api, text)
        assert expected in reply, (text, reply)


async def test_buy_all_spends_the_paper_usdt(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    assert "✅ Bought 0.15" in await ask(app, telegram_api, "/buy btc all")
    balance = await ask(app, telegram_api, "/balance")
    assert "USDT: 0." in balance and "BTC: 0.15" in balance


async def test_stop_order_waits_for_its_trigger_then_fills(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    reply = await ask(app, telegram_api, "/buy btc 0.01 stop 70000")
    assert "order #1 on paper: buy 0.01 BTC stop at 70,000 USDT is open" in reply
    assert "stop @ 70,000 · open" in await ask(app, telegram_api, "/orders")
    price_feed = trading(app).price_feed
    assert isinstance(price_feed, StaticFeed)
    price_feed.set_price("BTC/USDT", "69000")
    await ask(app, telegram_api, "/price btc")
    assert [o.status for o in await orders(app)] == [OrderStatus.OPEN]
    price_feed.set_price("BTC/USDT", "70000")
    await ask(app, telegram_api, "/price btc")  # a price request runs the paper pass
    [order] = await orders(app)
    assert (order.type, order.status, order.average) == (
        OrderType.STOP,
        OrderStatus.FILLED,
        Decimal(70035),  # triggered at 70,000, filled as market 0.05 % worse
    )
    await drain_outbox(app)
    assert "✅ Bought 0.01 BTC on paper: filled at 70,035" in texts_to(telegram_api, TRADER_ID)[-1]


STOPS_REFUSED = [
    (
        "/buy btc 0.01 stop 60000",
        "A buy stop at 60,000 USDT is at or below the market (64,000 USDT), so it would fill "
        "at once. A buy stop waits for the price to rise to it",
    ),
    (
        "/sell btc 0.01 stop 70000",
        "A sell stop at 70,000 USDT is at or above the market (64,000 USDT), so it would fill "
        "at once. A sell stop waits for the price to fall to it",
    ),
]


@pytest.mark.parametrize(("text", "reason"), STOPS_REFUSED, ids=["buy-below", "sell-above"])
async def test_stop_on_the_wrong_side_is_refused_with_the_reason(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, text: str, reason: str
) -> None:
    app = await make_app(exchange=STATIC)
    assert reason in await ask(app, telegram_api, text)
    assert await orders(app) == []
    assert "USDT: 10,000" in await ask(app, telegram_api, "/balance")


async def test_several_prices_in_one_reply(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    reply = await ask(app, telegram_api, "/price btc eth sol")
    lines = reply.splitlines()
    assert lines[:3] == [
        "BTC/USDT: 64,000 USDT",
        "ETH/USDT: 3,000 USDT",
        "SOL/USDT: 150 USDT",
    ]
    assert lines[3] == "priced by static"
    partly = await ask(app, telegram_api, "/price btc link")
    assert partly.splitlines()[0] == "BTC/USDT: 64,000 USDT"
    assert "No price for 'link' on paper trading; /pairs lists its pairs." in partly


ORDER_USAGE = (
    "Usage: /{side} <pair> <amount> [price | stop <price>] [perp | <n>x] [@account]\n"
    "For example: /{side} btc"
)
USAGE_ERRORS = [
    ("/buy", "/buy needs a pair and an amount.\n" + ORDER_USAGE.format(side="buy")),
    ("/sell btc", "/sell needs a pair and an amount.\n" + ORDER_USAGE.format(side="sell")),
    ("/buy btc lots", "The amount 'lots' is not a number"),
    ("/buy btc 10 eth", "10 ETH does not fit btc"),
    ("/buy btc 0.01 stop", "Give a price after 'stop'.\n" + ORDER_USAGE.format(side="buy")),
    (
        "/sell btc 0.01 60000 now",
        "I did not understand 'now'.\n" + ORDER_USAGE.format(side="sell"),
    ),
    ("/price", "Which pair? For example: /price btc or /price btc eth sol.\nUsage: /price <pair>"),
    ("/follow", "Which source? /sources lists them.\nUsage: /follow <source> [notify | confirm"),
    ("/follow 1 auto 10 btc", "The amount per trade must be a positive number of USDT"),
    ("/follow 1 sometimes", "The mode is notify (default) or auto"),
]


@pytest.mark.parametrize(("text", "expected"), USAGE_ERRORS, ids=[t for t, _ in USAGE_ERRORS])
async def test_usage_errors_show_the_usage(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, text: str, expected: str
) -> None:
    app = await make_app(exchange=STATIC)
    await register(app, telegram_api)
    reply = await ask(app, telegram_api, text)
    assert expected in reply
    assert f"Usage: /{text[1:].split(maxsplit=1)[0]} " in reply and "For example: " in reply
    assert await orders(app) == []


async def test_follow_auto_amount_in_any_money_form(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    await register(app, telegram_api)
    for text, amount in [
        ("/follow 1 auto $100", 100),
        ("/follow 1 auto 50$", 50),
        ("/follow 1 auto 25 usdt", 25),
        ("/follow 1 auto 40USDT", 40),
    ]:
        reply = await ask(app, telegram_api, text)
        assert f"auto mode: {amount}" in reply, (text, reply)
        async with app.db.session() as session:
            [sub] = list(await session.scalars(select(Subscription)))
        assert sub.order_size_quote == amount


async def test_replay_pairs_are_listed_and_named_for_an_unknown_pair(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange={"price_feed": "replay"})
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    pairs = await ask(app, telegram_api, "/pairs", VIEWER_ID)  # market.read, like /price
    head, listed, hint = pairs.splitlines()
    assert head.startswith("Pairs on paper trading (6, prices from replay, replaying 20")
    assert head.endswith(" UTC)")
    assert listed == DEMO_PAIRS
    assert hint == "Try /price bnb or /buy bnb 10 usdt."
    unknown = f"I don't know the pair 'link' on paper trading; it has {DEMO_PAIRS} (see /pairs)."
    assert await ask(app, telegram_api, "/price link", VIEWER_ID) == unknown
    assert await ask(app, telegram_api, "/buy link 10 usdt") == unknown
    assert len((await ask(app, telegram_api, "/price btc eth sol")).splitlines()) == 4
