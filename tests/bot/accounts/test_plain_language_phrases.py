"""Plain-language phrases through the real dispatcher, in English, Russian and the other
languages the lexicon reads: a read-only request is answered at once with exactly what its
slash command says (no buttons); a close, a cancel or an order is a plan behind Confirm that
changes nothing until pressed; text that is not understood points to /help and the closest
command the user may use."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.app import App
from core.domain import Role
from tests.bot.accounts.conftest import button_data
from tests.bot.accounts.test_plain_language import commands, orders, plan_message, press, say
from tests.bot.conftest import TRADER_ID, VIEWER_ID
from tests.fakes.telegram_api import FakeTelegramAPI

# language -> (phrase, the slash command it means); the replies must be identical
READ_ONLY = {
    "en": [
        ("what's my balance", "/balance"),
        ("show my positions", "/positions"),
        ("positions", "/positions"),
        ("history", "/history"),
        ("my orders", "/orders"),
        ("btc price", "/price btc"),
    ],
    "ru": [
        ("мой баланс", "/balance"),
        ("покажи позиции", "/positions"),
        ("история", "/history"),
        ("мои ордера", "/orders"),
        ("цена btc", "/price btc"),
        ("сколько стоит биткоин", "/price btc"),
    ],
    "es-pt": [
        ("mi saldo", "/balance"),
        ("precio de btc", "/price btc"),
        ("qual é o meu saldo", "/balance"),
        ("mostrar posições", "/positions"),
    ],
    "tr": [("bakiyem", "/balance"), ("btc fiyatı", "/price btc"), ("geçmiş", "/history")],
    "zh": [("我的余额", "/balance"), ("btc价格", "/price btc"), ("查看持仓", "/positions")],
}


async def last_reply(app: App, api: FakeTelegramAPI, text: str) -> dict[str, Any]:
    await say(app, api, text)
    return api.last("sendMessage")


@pytest.mark.parametrize("language", list(READ_ONLY))
async def test_read_only_is_answered_at_once_as_its_command(
    accounts_app: App, telegram_api: FakeTelegramAPI, language: str
) -> None:
    await say(accounts_app, telegram_api, "/buy btc 0.02")  # a position and some history
    for phrase, command in READ_ONLY[language]:
        answer = await last_reply(accounts_app, telegram_api, phrase)
        expected = await last_reply(accounts_app, telegram_api, command)
        assert "reply_markup" not in answer, phrase
        assert answer["text"] == expected["text"], phrase
    rows = await commands(accounts_app)
    assert [r.status for r in rows] == ["answered"] * len(READ_ONLY[language])
    assert len(await orders(accounts_app)) == 1  # nothing but the setup order


async def test_a_named_coin_narrows_the_positions(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(accounts_app, telegram_api, "/buy btc 0.02")
    await say(accounts_app, telegram_api, "/buy eth 0.5")
    text = (await last_reply(accounts_app, telegram_api, "show my eth position"))["text"]
    assert "ETH/USDT" in text and "BTC/USDT" not in text


async def bought(app: App, api: FakeTelegramAPI, amount: str) -> None:
    await say(app, api, f"/buy btc {amount}")
    assert "Bought" in api.last("sendMessage")["text"]


@pytest.mark.parametrize(
    "phrase",
    ["close my btc position", "закрой позицию btc", "平仓btc", "btc pozisyonu kapat"],
)
async def test_close_sells_the_whole_holding_after_confirm(
    accounts_app: App, telegram_api: FakeTelegramAPI, phrase: str
) -> None:
    await bought(accounts_app, telegram_api, "0.02")
    await say(accounts_app, telegram_api, phrase)
    plan = plan_message(telegram_api)
    assert "sell 0.02 BTC/USDT at market" in plan["text"]
    assert set(button_data(plan)) == {"Confirm", "Cancel"}
    assert len(await orders(accounts_app)) == 1  # nothing sold before the button
    await press(accounts_app, telegram_api, plan, "Confirm")
    sell = [o for o in await orders(accounts_app) if o.side.value == "sell"]
    assert [(o.amount, o.status.value) for o in sell] == [(Decimal("0.02"), "filled")]
    await say(accounts_app, telegram_api, "/balance")
    assert "BTC" not in telegram_api.last("sendMessage")["text"]


@pytest.mark.parametrize(
    "phrase", ["cancel order {id}", "отменить ордер {id}", "отмени заявку №{id}", "取消订单{id}"]
)
async def test_cancel_one_order_after_confirm(
    accounts_app: App, telegram_api: FakeTelegramAPI, phrase: str
) -> None:
    await say(accounts_app, telegram_api, "/buy btc 0.01 40000")  # rests below the market
    [order] = await orders(accounts_app)
    await say(accounts_app, telegram_api, phrase.format(id=order.id))
    plan = plan_message(telegram_api)
    assert f"Cancel order #{order.id}?" in plan["text"]
    [order] = await orders(accounts_app)
    assert order.status.value == "open"  # nothing before the button
    await press(accounts_app, telegram_api, plan, "Confirm")
    [order] = await orders(accounts_app)
    assert order.status.value == "cancelled"
    assert "was cancelled" in telegram_api.last("editMessageText")["text"]


async def test_cancel_of_an_order_that_is_not_open_changes_nothing(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await bought(accounts_app, telegram_api, "0.01")  # filled: no longer open
    [order] = await orders(accounts_app)
    reply = await last_reply(accounts_app, telegram_api, f"cancel order {order.id}")
    assert f"no open order #{order.id}" in reply["text"] and "reply_markup" not in reply
    assert [c.status for c in await commands(accounts_app)] == ["failed"]


@pytest.mark.parametrize(
    ("phrase", "plan_text", "price"),
    [
        ("buy btc 0.01 limit 40000", "buy 0.01 BTC/USDT at 40,000", Decimal(40000)),
        ("купить 0.01 btc по 40000", "buy 0.01 BTC/USDT at 40,000", Decimal(40000)),
        ("купить 0.01 btc", "buy 0.01 BTC/USDT at market", None),
        ("comprar 0.01 btc", "buy 0.01 BTC/USDT at market", None),
        ("0.01 btc al", "buy 0.01 BTC/USDT at market", None),
        ("买入0.01个btc", "buy 0.01 BTC/USDT at market", None),
    ],
)
async def test_orders_in_any_language_are_confirmed(
    accounts_app: App,
    telegram_api: FakeTelegramAPI,
    phrase: str,
    plan_text: str,
    price: Decimal | None,
) -> None:
    await say(accounts_app, telegram_api, phrase)
    plan = plan_message(telegram_api)
    assert plan_text in plan["text"] and set(button_data(plan)) == {"Confirm", "Cancel"}
    assert await orders(accounts_app) == []
    await press(accounts_app, telegram_api, plan, "Confirm")
    [order] = await orders(accounts_app)
    assert (order.symbol, order.side.value, order.amount) == ("BTC/USDT", "buy", Decimal("0.01"))
    assert order.price == price
    assert order.status.value == ("open" if price is not None else "filled")


async def test_sell_half_in_russian(accounts_app: App, telegram_api: FakeTelegramAPI) -> None:
    await bought(accounts_app, telegram_api, "0.02")
    await say(accounts_app, telegram_api, "продать половину btc")
    plan = plan_message(telegram_api)
    assert "sell 0.01 BTC/USDT at market" in plan["text"]
    await press(accounts_app, telegram_api, plan, "Cancel")
    assert len(await orders(accounts_app)) == 1


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("positons", "/positions"),
        ("show my balanse", "/balance"),
        ("buy btc", "/buy &lt;pair&gt; &lt;amount&gt;"),
        ("купить биткоин", "/buy"),
        ("histroy please", "/history"),
    ],
)
async def test_not_understood_points_to_the_closest_command(
    accounts_app: App, telegram_api: FakeTelegramAPI, text: str, hint: str
) -> None:
    reply = await last_reply(accounts_app, telegram_api, text)
    assert "did not understand" in reply["text"] and "/help" in reply["text"]
    assert f"Did you mean <code>{hint}" in reply["text"]
    assert [c.status for c in await commands(accounts_app)] == ["not_understood"]


async def test_not_understood_without_a_close_command_still_answers(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    reply = await last_reply(accounts_app, telegram_api, "what is the weather like")
    assert "did not understand" in reply["text"] and "/help" in reply["text"]
    assert "Did you mean" not in reply["text"]


async def test_a_viewer_is_not_pointed_to_a_command_they_may_not_use(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await accounts_app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    await say(accounts_app, telegram_api, "buy btc", user_id=VIEWER_ID)
    reply = telegram_api.last("sendMessage")
    assert reply["chat_id"] == VIEWER_ID
    assert "did not understand" in reply["text"] and "/buy" not in reply["text"]
    await say(accounts_app, telegram_api, "prise btc", user_id=VIEWER_ID)
    assert "/price" in telegram_api.last("sendMessage")["text"]


async def test_every_reply_goes_to_the_trader(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    """Read-only, planned and not understood alike get an answer; none is dropped."""
    phrases = ["history", "cancel order 5", "buy btc 0.01 limit 40000", "blah", "цена eth"]
    for phrase in phrases:
        await say(accounts_app, telegram_api, phrase)
    assert len(telegram_api.messages(TRADER_ID)) == len(phrases)
