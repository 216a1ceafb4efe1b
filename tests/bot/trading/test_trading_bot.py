"""Trading through the whole bot: paper orders at once, live orders behind Confirm buttons that
are single-use, owner-bound and short-lived, the trading PIN, and reconciliation at restart."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from core.db.models import ActionToken, ExchangeAccount, Order, OutboxMessage, User
from core.domain import OrderStatus, Role
from core.security import hash_secret
from services.exchange.feeds import StaticFeed
from services.trading import TradingService
from tests.bot.conftest import ADMIN_ID, TRADER_ID, VIEWER_ID, AppFactory, drain_outbox, feed
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.telegram_api import FakeTelegramAPI

STATIC = {"price_feed": "static", "static_prices": {"BTC/USDT": "64000", "ETH/USDT": "3000"}}


def texts_to(telegram_api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [c["text"] for c in telegram_api.calls_of("sendMessage") if c["chat_id"] == chat_id]


async def say(app: App, telegram_api: FakeTelegramAPI, user_id: int, text: str) -> str:
    """Send one message; return the bot's one reply to it."""
    before = len(texts_to(telegram_api, user_id))
    await feed(app, telegram_api.updates.message(user_id, text))
    replies = texts_to(telegram_api, user_id)[before:]
    assert len(replies) == 1, replies
    return replies[0]


def trading(app: App) -> TradingService:
    service = app.services["trading_service"]
    assert isinstance(service, TradingService)
    return service


async def orders(app: App) -> list[Order]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Order).order_by(Order.id)))


# -- paper ---------------------------------------------------------------------------------------


async def test_paper_buy_fills_at_once_and_shows_in_balance_and_history(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    reply = await say(app, telegram_api, TRADER_ID, "/buy btc 100usdt")
    # 100 USDT / 64,000 = 0.0015625 BTC; filled 0.05 % worse at 64,032; fee 0.1 % of 100.05
    assert reply == (
        "✅ Bought 0.0015625 BTC on paper: filled at 64,032 USDT, fee 0.10 USDT, "
        "priced by static (order #1)."
    )
    balance = await say(app, telegram_api, TRADER_ID, "/balance")
    assert "USDT: 9,899.85" in balance and "BTC: 0.0015625" in balance
    history = await say(app, telegram_api, TRADER_ID, "/history")
    assert " UTC #1 buy 0.0015625 BTC/USDT @ 64,032 · filled · paper · fee 0.10 USDT" in history
    positions = await say(app, telegram_api, TRADER_ID, "/positions")
    assert "BTC/USDT: 0.0015625, entry 64,096.03" in positions
    for text in ("/buy $btc $50", "/buy BTCUSDT 0.001", "/sell BTC/USDT 0.001"):
        assert "on paper: filled" in await say(app, telegram_api, TRADER_ID, text)
    assert [o.status for o in await orders(app)] == [OrderStatus.FILLED] * 4


async def test_paper_limit_order_fills_when_the_price_crosses(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    reply = await say(app, telegram_api, TRADER_ID, "/buy btc 0.01 60000")
    assert "order #1 on paper: buy 0.01 BTC at 60,000 USDT is open" in reply
    assert "#1 buy 0.01 BTC/USDT @ 60,000 · open" in await say(
        app, telegram_api, TRADER_ID, "/orders"
    )
    price_feed = trading(app).price_feed
    assert isinstance(price_feed, StaticFeed)
    price_feed.set_price("BTC/USDT", "59950")
    assert "BTC/USDT</b>: 59,950 USDT" in await say(app, telegram_api, TRADER_ID, "/price btc")
    await drain_outbox(app)
    notice = texts_to(telegram_api, TRADER_ID)[-1]
    assert notice == (
        "✅ Bought 0.01 BTC on paper: filled at 60,000 USDT, fee 0.60 USDT, priced by static "
        "(order #1)."
    )
    assert await say(app, telegram_api, TRADER_ID, "/orders") == "No open orders."


async def test_cancel_with_an_id_cancels_and_without_clears_the_form(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    await say(app, telegram_api, TRADER_ID, "/buy eth 1 2000")
    assert "was cancelled" in await say(app, telegram_api, TRADER_ID, "/cancel 1")
    assert await say(app, telegram_api, TRADER_ID, "/cancel") == "Nothing to cancel."
    assert "already cancelled" in await say(app, telegram_api, TRADER_ID, "/cancel #1")
    assert "no order #99" in await say(app, telegram_api, TRADER_ID, "/cancel 99")
    assert "Usage: /cancel" in await say(app, telegram_api, TRADER_ID, "/cancel x1")
    assert "USDT: 10,000" in await say(app, telegram_api, TRADER_ID, "/balance")


BAD = [
    ("/buy", "Usage: /buy"),
    ("/buy btc", "Usage: /buy"),
    ("/buy xyz 1", "I don't know the pair 'xyz'"),
    ("/buy btc -1", "above zero"),
    ("/buy btc 0", "above zero"),
    ("/buy btc lots", "not a number"),
    ("/buy btc 1e30", "too large"),  # scientific notation reads (services.numbers)
    ("/buy btc 9999999999999999", "too large"),
    ("/buy btc 0.000000001", "below the minimum"),
    ("/buy btc 0.01 640", "10× away from the market"),
    ("/buy btc 0.01 stop", "Give a price"),
    ("/sell btc 1", "Insufficient funds"),
    ("/buy btc 1", "Insufficient funds"),
    ("/price", "Which pair?"),
    ("/price nope", "I don't know the pair"),
    ("/balance binance", "no account called 'binance'"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[t for t, _ in BAD])
async def test_bad_trading_input_gets_one_sentence_and_changes_nothing(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, text: str, expected: str
) -> None:
    app = await make_app(exchange=STATIC)
    reply = await say(app, telegram_api, TRADER_ID, text)
    assert expected in reply and "Something went wrong" not in reply
    assert all(o.status is OrderStatus.REJECTED for o in await orders(app))  # shown in /history
    assert "USDT: 10,000" in await say(app, telegram_api, TRADER_ID, "/balance")


async def test_viewer_can_ask_prices_but_not_trade(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC)
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    assert "64,000 USDT" in await say(app, telegram_api, VIEWER_ID, "/price $BTC")
    assert "not allowed" in await say(app, telegram_api, VIEWER_ID, "/buy btc 0.01")
    assert "not allowed" in await say(app, telegram_api, VIEWER_ID, "/cancel 1")
    assert await orders(app) == []


# -- live, with Confirm buttons ------------------------------------------------------------------


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(
        balances={"USDT": "10000", "BTC": "0.5"}, prices={"BTC/USDT": "50000"}
    ) as fake:
        yield fake


@pytest.fixture
def live_settings(exchange_api: FakeExchangeAPI, tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    return {
        **STATIC,
        "api_url_override": exchange_api.url,
        "markets_dir": str(tmp_path),
        "timeout_ms": 500,
    }


async def add_live_account(app: App, telegram_id: int, api_key: str) -> None:
    user = await app.users.get(telegram_id)
    if user is None:
        user, _ = await app.users.ensure(telegram_id, None, "Trader")
    async with app.db.transaction() as session:
        session.add(
            ExchangeAccount(
                user_id=user.id,
                exchange_id="binance",
                label="main",
                is_paper=False,
                api_key_enc=app.keystore.encrypt(api_key),
                secret_enc=app.keystore.encrypt("fake-secret-for-bot-tests-000001"),
                key_hint="fake…6789",
            )
        )


async def live_plan(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> tuple[dict[str, Any], str, str]:
    """/buy on the live account; returns the plan message and its Confirm / Cancel data."""
    await add_live_account(app, TRADER_ID, exchange_api.api_key)
    reply = await say(app, telegram_api, TRADER_ID, "/buy btc 0.001 @main")
    assert "Confirm live order" in reply
    assert "BUY 0.001 BTC (BTC/USDT) at market" in reply and "Estimated cost ≈ 50.00 USDT" in reply
    message = telegram_api.messages(TRADER_ID)[-1]
    [[confirm, drop]] = message["reply_markup"]["inline_keyboard"]
    assert confirm["text"].endswith("Confirm") and len(confirm["callback_data"]) <= 64
    return message, confirm["callback_data"], drop["callback_data"]


async def press(
    app: App, telegram_api: FakeTelegramAPI, user_id: int, message: dict[str, Any], data: str
) -> str:
    before = len(telegram_api.calls_of("answerCallbackQuery"))
    await feed(app, telegram_api.updates.callback(user_id, message, data))
    answers = telegram_api.calls_of("answerCallbackQuery")[before:]
    assert len(answers) == 1, answers
    return str(answers[0].get("text", ""))


async def test_confirm_places_one_order_however_often_pressed(
    make_app: AppFactory,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    live_settings: dict[str, Any],
) -> None:
    app = await make_app(exchange=live_settings)
    message, confirm, _ = await live_plan(app, telegram_api, exchange_api)
    assert exchange_api.orders == []  # nothing is sent before Confirm
    assert await press(app, telegram_api, TRADER_ID, message, confirm) == "Order sent."
    edited = telegram_api.last("editMessageText")
    assert "Bought 0.001 BTC on main: filled at 50,000 USDT" in edited["text"]
    assert "already placed as order #1" in await press(
        app, telegram_api, TRADER_ID, message, confirm
    )
    assert len(exchange_api.orders) == 1 and exchange_api.count("POST", "/api/v3/order") == 1
    [order] = await orders(app)
    assert order.status is OrderStatus.FILLED
    assert exchange_api.orders[0].client_order_id == order.client_order_id


async def test_forged_foreign_and_stale_buttons_do_nothing_but_say_so(
    make_app: AppFactory,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    live_settings: dict[str, Any],
) -> None:
    app = await make_app(exchange=live_settings)
    message, confirm, drop = await live_plan(app, telegram_api, exchange_api)
    token = confirm.split(":")[-1]
    forged = "to:c:" + "A" * len(token)
    assert "no longer valid" in await press(app, telegram_api, TRADER_ID, message, forged)
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/start"))
    assert "not yours" in await press(app, telegram_api, ADMIN_ID, message, confirm)
    assert "not yours" in await press(app, telegram_api, ADMIN_ID, message, drop)
    async with app.db.transaction() as session:
        await session.execute(
            update(ActionToken)
            .where(ActionToken.id == token)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert "expired" in await press(app, telegram_api, TRADER_ID, message, confirm)
    assert exchange_api.orders == [] and await orders(app) == []
    async with app.db.session() as session:
        status = await session.scalar(select(ActionToken.status).where(ActionToken.id == token))
    assert status == "pending"  # a refused press changes nothing


async def test_cancel_button_drops_the_plan(
    make_app: AppFactory,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    live_settings: dict[str, Any],
) -> None:
    app = await make_app(exchange=live_settings)
    message, confirm, drop = await live_plan(app, telegram_api, exchange_api)
    assert "nothing was sent" in await press(app, telegram_api, TRADER_ID, message, drop)
    assert "Cancelled; nothing was sent." in telegram_api.last("editMessageText")["text"]
    assert "cancelled" in await press(app, telegram_api, TRADER_ID, message, confirm)
    assert exchange_api.orders == []


async def test_pin_is_asked_read_deleted_then_the_order_is_placed(
    make_app: AppFactory,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    live_settings: dict[str, Any],
) -> None:
    app = await make_app(exchange=live_settings)
    message, confirm, _ = await live_plan(app, telegram_api, exchange_api)
    async with app.db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.telegram_id == TRADER_ID)
            .values(pin_hash=await hash_secret("2468"))
        )
    await press(app, telegram_api, TRADER_ID, message, confirm)
    assert "Send your trading PIN" in texts_to(telegram_api, TRADER_ID)[-1]
    assert exchange_api.orders == []
    pin_update = telegram_api.updates.message(TRADER_ID, "2468")
    await feed(app, pin_update)
    deleted = telegram_api.calls_of("deleteMessage")
    assert [d["message_id"] for d in deleted] == [pin_update["message"]["message_id"]]
    assert "Bought 0.001 BTC on main" in texts_to(telegram_api, TRADER_ID)[-1]
    assert len(exchange_api.orders) == 1
    assert all("2468" not in t for t in texts_to(telegram_api, TRADER_ID))


async def test_restart_reconciles_an_unknown_order_at_start(
    make_app: AppFactory,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    live_settings: dict[str, Any],
) -> None:
    app = await make_app(exchange=live_settings)
    message, confirm, _ = await live_plan(app, telegram_api, exchange_api)
    exchange_api.timeout_after_accept()
    await press(app, telegram_api, TRADER_ID, message, confirm)
    assert "did not confirm it" in telegram_api.last("editMessageText")["text"]
    [order] = await orders(app)
    assert order.status is OrderStatus.UNKNOWN

    # a second process on the same database (the first one "died" with the order unknown)
    restarted = await make_app(exchange=live_settings)
    await restarted.on_start()  # the start hook reconciles before taking updates
    [order] = await orders(restarted)
    assert order.status is OrderStatus.FILLED
    assert exchange_api.count("POST", "/api/v3/order") == 1 and len(exchange_api.orders) == 1
    async with restarted.db.session() as session:
        notices = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key == f"order:{order.id}:filled")
            )
        )
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
    assert len(notices) == 1 and notices[0].chat_id == TRADER_ID
    await restarted.on_start()  # a second start changes nothing
    assert exchange_api.count("POST", "/api/v3/order") == 1


async def test_live_balance_reads_the_exchange(
    make_app: AppFactory,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    live_settings: dict[str, Any],
) -> None:
    app = await make_app(exchange=live_settings)
    await add_live_account(app, TRADER_ID, exchange_api.api_key)
    reply = await say(app, telegram_api, TRADER_ID, "/balance main")
    assert "main (binance)" in reply and "USDT: 10,000" in reply and "BTC: 0.5" in reply
    positions = await say(app, telegram_api, TRADER_ID, "/positions")
    assert "BTC/USDT: 0.5, now 50,000" in positions
