"""Plain-language commands through the bot: what changes something is a plan with buttons
(Confirm runs it once, Cancel runs nothing), a read-only request is answered at once; every
command and outcome is recorded in ai_commands."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.types import Update
from sqlalchemy import func, select

from bot.app import App
from core.db.models import AICommand, Order
from core.domain import Role
from services.dto import UserView
from services.intents import IntentAction
from services.plain_language_dto import CommandOutcome
from services.trading import PinRequired
from services.trading_dto import PriceView
from tests.bot.accounts.conftest import button_data
from tests.bot.conftest import TRADER_ID, VIEWER_ID, feed
from tests.fakes.telegram_api import FakeTelegramAPI


async def say(app: App, api: FakeTelegramAPI, text: str, user_id: int = TRADER_ID) -> None:
    await feed(app, api.updates.message(user_id, text))


def plan_message(api: FakeTelegramAPI, chat_id: int = TRADER_ID) -> dict[str, Any]:
    return [m for m in api.messages(chat_id) if "reply_markup" in m][-1]


async def press(
    app: App, api: FakeTelegramAPI, message: dict[str, Any], label: str, user_id: int = TRADER_ID
) -> None:
    await feed(app, api.updates.callback(user_id, message, button_data(message)[label]))


async def orders(app: App) -> list[Order]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Order)))


async def commands(app: App) -> list[AICommand]:
    async with app.db.session() as session:
        return list(await session.scalars(select(AICommand).order_by(AICommand.id)))


async def test_order_plan_confirm_places_exactly_one_paper_order(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(accounts_app, telegram_api, "please buy 0.01 btc at market")
    plan = plan_message(telegram_api)
    assert "buy 0.01 BTC/USDT at market" in plan["text"] and "paper" in plan["text"]
    assert set(button_data(plan)) == {"Confirm", "Cancel"}
    assert await orders(accounts_app) == []  # a plan, never executed directly
    await press(accounts_app, telegram_api, plan, "Confirm")
    [order] = await orders(accounts_app)
    assert (order.symbol, order.side.value, order.amount) == ("BTC/USDT", "buy", Decimal("0.01"))
    assert "Bought 0.01 BTC on paper" in telegram_api.last("editMessageText")["text"]
    await press(accounts_app, telegram_api, plan, "Confirm")  # pressed twice: still one
    assert len(await orders(accounts_app)) == 1
    assert "already handled" in telegram_api.last("answerCallbackQuery")["text"]
    [command] = await commands(accounts_app)
    assert (command.parser, command.status) == ("grammar", "confirmed")
    assert command.intent is not None and command.intent["action"] == "buy"
    assert command.outcome is not None and f"order {order.id}" in command.outcome


async def test_cancel_places_nothing(accounts_app: App, telegram_api: FakeTelegramAPI) -> None:
    await say(accounts_app, telegram_api, "buy $50 of sol")
    plan = plan_message(telegram_api)
    await press(accounts_app, telegram_api, plan, "Cancel")
    await press(accounts_app, telegram_api, plan, "Confirm")
    assert await orders(accounts_app) == []
    assert "Cancelled" in telegram_api.last("editMessageText")["text"]
    [command] = await commands(accounts_app)
    assert command.status == "cancelled"


async def test_sell_half_uses_the_balance_at_plan_time(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(accounts_app, telegram_api, "buy 0.02 btc")
    await press(accounts_app, telegram_api, plan_message(telegram_api), "Confirm")
    await say(accounts_app, telegram_api, "sell half my btc at 60000")
    plan = plan_message(telegram_api)
    assert "sell 0.01 BTC/USDT at 60,000" in plan["text"]
    await press(accounts_app, telegram_api, plan, "Confirm")
    sells = [o for o in await orders(accounts_app) if o.side.value == "sell"]
    assert len(sells) == 1 and sells[0].amount == Decimal("0.01") and sells[0].price == 60000


async def test_read_only_commands_are_answered_at_once(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    """No plan, no buttons: the answer itself, recorded as answered."""
    await say(accounts_app, telegram_api, "what is my balance")
    reply = telegram_api.last("sendMessage")
    assert "reply_markup" not in reply and "<b>Balance</b>" in reply["text"]
    await say(accounts_app, telegram_api, "price of sol")
    assert "<b>SOL/USDT</b>: 150" in telegram_api.last("sendMessage")["text"]
    await say(accounts_app, telegram_api, "show my orders")
    assert "No open orders." in telegram_api.last("sendMessage")["text"]
    assert all("reply_markup" not in m for m in telegram_api.messages(TRADER_ID))
    statuses = [(c.intent or {}).get("action") for c in await commands(accounts_app)]
    assert statuses == ["balance", "price", "orders"]
    assert all(c.status == "answered" for c in await commands(accounts_app))


async def test_cancel_all_cancels_open_orders_after_confirm(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(accounts_app, telegram_api, "buy 0.01 btc at 40000")  # a resting limit order
    await press(accounts_app, telegram_api, plan_message(telegram_api), "Confirm")
    [order] = await orders(accounts_app)
    assert order.status.value == "open"
    await say(accounts_app, telegram_api, "cancel all my open orders on BTC")
    plan = plan_message(telegram_api)
    assert "Cancel all your open orders on BTC/USDT?" in plan["text"]
    [order] = await orders(accounts_app)
    assert order.status.value == "open"  # nothing before the button
    await press(accounts_app, telegram_api, plan, "Confirm")
    [order] = await orders(accounts_app)
    assert order.status.value == "cancelled"


async def test_not_understood_and_failures_are_recorded(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(accounts_app, telegram_api, "hello there")
    reply = telegram_api.last("sendMessage")["text"]
    assert "did not understand" in reply and "/help" in reply
    await say(accounts_app, telegram_api, "buy 1 notacoin")
    assert "don't know the pair" in telegram_api.last("sendMessage")["text"]
    await say(accounts_app, telegram_api, "x" * 10_000)
    rows = await commands(accounts_app)
    assert [(r.status, r.parser) for r in rows] == [
        ("not_understood", "grammar"),
        ("failed", "grammar"),
        ("not_understood", "grammar"),
    ]
    assert rows[1].outcome is not None and "notacoin" in rows[1].outcome.lower()
    assert len(rows[2].text) == 1000
    assert await orders(accounts_app) == []


async def test_foreign_and_forged_plan_buttons_do_nothing(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(accounts_app, telegram_api, "buy 0.01 btc")
    plan = plan_message(telegram_api)
    await press(accounts_app, telegram_api, plan, "Confirm", user_id=TRADER_ID + 1)
    assert "no longer valid" in telegram_api.last("answerCallbackQuery")["text"]
    [command] = await commands(accounts_app)
    for forged in (f"lc:{command.id + 99}:1", "lc:x:1", f"lc:{command.id}:perhaps"):
        await feed(accounts_app, telegram_api.updates.callback(TRADER_ID, plan, forged))
    assert await orders(accounts_app) == []
    [command] = await commands(accounts_app)
    assert command.status == "planned"


async def test_viewer_may_ask_prices_but_not_trade(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await accounts_app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    await say(accounts_app, telegram_api, "buy 0.01 btc", user_id=VIEWER_ID)
    assert "Only traders" in telegram_api.last("sendMessage")["text"]
    await say(accounts_app, telegram_api, "btc price", user_id=VIEWER_ID)
    assert "<b>BTC/USDT</b>: 50" in telegram_api.last("sendMessage")["text"]
    async with accounts_app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 0


class LivePlanCommands:
    """Stands in for the plain-language service: every command is a live order behind the
    trading PIN (the grammar plans orders on paper, so the real service cannot make one)."""

    def __init__(self) -> None:
        self.pins: list[str | None] = []

    async def confirm(
        self, user: UserView, command_id: int, pin: str | None = None
    ) -> CommandOutcome:
        self.pins.append(pin)
        if pin is None:
            raise PinRequired()
        price = PriceView("BTC/USDT", Decimal("50000"), "static")
        return CommandOutcome(command_id, IntentAction.PRICE, "BTC/USDT 50000", price=price)


async def feed_with(app: App, raw: dict[str, Any], **data: Any) -> None:
    update = Update.model_validate(raw, context={"bot": app.bot})
    await app.dispatcher.feed_update(app.bot, update, **data)
    await app.inbox.flush()


async def test_live_plan_takes_the_pin_step_of_live_orders(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    """Confirm asks for the PIN as the order buttons do; the PIN is deleted, then confirms."""
    await say(accounts_app, telegram_api, "buy 0.01 btc")
    plan = plan_message(telegram_api)
    commands_ = LivePlanCommands()
    confirm = button_data(plan)["Confirm"]
    press_update = telegram_api.updates.callback(TRADER_ID, plan, confirm)
    await feed_with(accounts_app, press_update, plain_language_service=commands_)
    assert "Send your trading PIN" in telegram_api.last("sendMessage")["text"]
    pin_update = telegram_api.updates.message(TRADER_ID, "2468")
    await feed_with(accounts_app, pin_update, plain_language_service=commands_)
    deleted = telegram_api.calls_of("deleteMessage")
    assert [d["message_id"] for d in deleted] == [pin_update["message"]["message_id"]]
    assert commands_.pins == [None, "2468"]
    assert "<b>BTC/USDT</b>: 50" in telegram_api.last("sendMessage")["text"]
    assert all("2468" not in m["text"] for m in telegram_api.calls_of("sendMessage"))
