"""The model fallback for plain-language commands, end to end against FakeOpenAI: a valid
answer becomes a plan (or, read-only, an answer at once), an invented number or an unknown coin
is refused, a hung model costs one request and ends in "did not understand"."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from core.db.models import AICommand, Order
from tests.bot.accounts.conftest import PRICES, button_data
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.telegram_api import FakeTelegramAPI

TEXT = "grab me fifty bucks of solana"  # no grammar rule reads "fifty"


def answer(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "action": "buy",
        "symbol": "SOL",
        "amount": None,
        "amount_in_quote": False,
        "portion": None,
        "percent": None,
        "price": None,
    }
    return {**base, **fields}


@pytest.fixture
async def openai_api() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as api:
        yield api


@pytest.fixture
async def ai_app(make_app: AppFactory, openai_api: FakeOpenAI) -> App:
    return await make_app(
        ai={
            "openai_api_key": "test-key",
            "openai_base_url": openai_api.base_url,
            "timeout_s": 0.5,
        },
        exchange={"price_feed": "static", "static_prices": PRICES},
        limits={"rate_limit_burst": 200},
    )


async def last_command(app: App) -> AICommand:
    async with app.db.session() as session:
        rows = list(await session.scalars(select(AICommand).order_by(AICommand.id)))
    return rows[-1]


async def test_valid_answer_becomes_a_plan_marked_ai(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    text = "grab me 50 usdt worth of solana, thx"
    openai_api.answer(answer(amount="50", amount_in_quote=True))
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, text))
    plan = telegram_api.messages(TRADER_ID)[-1]
    assert "read by the AI model" in plan["text"] and "SOL/USDT" in plan["text"]
    command = await last_command(ai_app)
    assert (command.parser, command.status) == ("ai", "planned")
    await feed(
        ai_app, telegram_api.updates.callback(TRADER_ID, plan, button_data(plan)["Confirm"])
    )
    async with ai_app.db.session() as session:
        [order] = list(await session.scalars(select(Order)))
    assert order.symbol == "SOL/USDT" and order.side.value == "buy"
    assert len(openai_api.requests) == 1
    sent = openai_api.requests[0]
    assert sent["messages"][-1]["content"] == text
    assert json.dumps(sent["response_format"])  # structured output schema was asked for


async def test_invented_number_is_refused(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    openai_api.answer(answer(amount="50", amount_in_quote=True))  # "50" is not in TEXT
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, TEXT))
    assert "did not understand" in telegram_api.last("sendMessage")["text"]
    command = await last_command(ai_app)
    assert command.status == "not_understood" and command.intent is None


async def test_unknown_coin_from_the_model_is_refused(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    openai_api.answer(answer(symbol="NOTACOIN", amount="2"))
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, "get 2 of that new coin"))
    assert "did not understand" in telegram_api.last("sendMessage")["text"]


async def test_hung_model_is_asked_once_and_answered(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    openai_api.hang()
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, TEXT))
    assert "did not understand" in telegram_api.last("sendMessage")["text"]
    assert len(openai_api.requests) == 1  # no retry storm
    assert (await last_command(ai_app)).status == "not_understood"


async def test_server_error_refusal_and_garbage_are_not_understood(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    openai_api.fail(500)
    openai_api.refuse()
    openai_api.garbage()
    for _ in range(3):
        await feed(ai_app, telegram_api.updates.message(TRADER_ID, TEXT))
        assert "did not understand" in telegram_api.last("sendMessage")["text"]
    assert len(openai_api.requests) == 3


async def test_grammar_hits_never_ask_the_model(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, "price of btc"))
    assert openai_api.requests == []
    assert (await last_command(ai_app)).parser == "grammar"


async def test_read_only_answer_from_the_model_is_shown_at_once(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    """A model's read-only reading changes nothing either: answered without a Confirm."""
    openai_api.answer(answer(action="history", symbol=None))
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, "what did i trade lately"))
    reply = telegram_api.last("sendMessage")
    assert "reply_markup" not in reply and "No orders yet" in reply["text"]
    command = await last_command(ai_app)
    assert (command.parser, command.status) == ("ai", "answered")
    assert len(openai_api.requests) == 1
