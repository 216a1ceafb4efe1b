"""Real aiogram over HTTP against `FakeTelegramAPI`."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from tests.fakes.telegram_api import FakeTelegramAPI

USER_ID = 7

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Confirm", callback_data="sa:confirm:1")]]
)


async def test_get_me_answers_the_local_bot(fake_server: FakeTelegramAPI) -> None:
    """The plain production wiring works: AiohttpSession pointed at the fake's base URL."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_server.url))
    async with Bot("42:TEST", session=session) as bot:
        me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (42, "tsbot_local", True)


async def test_send_message_returns_message(http_bot: Bot, fake_server: FakeTelegramAPI) -> None:
    """The answer is a real Message and the recorded params are decoded from the form."""
    first = await http_bot.send_message(USER_ID, "hello", reply_markup=KEYBOARD)
    second = await http_bot.send_message(USER_ID, "again")

    assert isinstance(first, Message)
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == USER_ID
    assert first.chat.type == "private"
    assert first.from_user is not None
    assert first.from_user.id == 42
    assert first.reply_markup is not None
    assert first.reply_markup.model_dump() == KEYBOARD.model_dump()
    assert fake_server.calls_of("sendMessage")[0] == {
        "chat_id": USER_ID,
        "text": "hello",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Confirm", "callback_data": "sa:confirm:1"}]]
        },
    }
    assert [m["text"] for m in fake_server.messages(USER_ID)] == ["hello", "again"]


async def test_numeric_text_stays_text(http_bot: Bot, fake_server: FakeTelegramAPI) -> None:
    await http_bot.send_message(USER_ID, "42")

    assert fake_server.last("sendMessage")["text"] == "42"


async def test_injected_429_raises_retry_after(
    http_bot: Bot, fake_server: FakeTelegramAPI
) -> None:
    fake_server.fail("sendMessage", 429, retry_after=3)

    with pytest.raises(TelegramRetryAfter) as caught:
        await http_bot.send_message(USER_ID, "flood")

    assert caught.value.retry_after == 3
    assert (await http_bot.send_message(USER_ID, "later")).text == "later"


async def test_injected_403_raises_forbidden(http_bot: Bot, fake_server: FakeTelegramAPI) -> None:
    fake_server.fail("sendMessage", 403)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await http_bot.send_message(USER_ID, "anyone there?")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, TelegramBadRequest),
        (401, TelegramUnauthorizedError),
        (500, TelegramServerError),
        (502, TelegramServerError),
    ],
    ids=["400", "401", "500", "502"],
)
async def test_injected_errors_map_to_aiogram_exceptions(
    http_bot: Bot, fake_server: FakeTelegramAPI, code: int, error: type[TelegramAPIError]
) -> None:
    fake_server.fail("getChat", code, times=2)

    for _ in range(2):
        with pytest.raises(error):
            await http_bot.get_chat(USER_ID)
    assert (await http_bot.get_chat(USER_ID)).id == USER_ID


async def test_unknown_method_is_not_found(fake_server: FakeTelegramAPI) -> None:
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{fake_server.url}/bot42:TEST/sendTelepathy", data={"a": "1"}) as resp,
    ):
        body = await resp.json()

    assert resp.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_json_body_with_nested_json_string_is_decoded(fake_server: FakeTelegramAPI) -> None:
    payload = {
        "chat_id": USER_ID,
        "text": "[1, 2]",
        "reply_markup": '{"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}',
    }
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{fake_server.url}/bot42:TEST/sendMessage", json=payload) as resp,
    ):
        body = await resp.json()

    assert body["ok"] is True
    assert fake_server.last("sendMessage") == {
        "chat_id": USER_ID,
        "text": "[1, 2]",
        "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]},
    }


async def test_wrong_token_is_unauthorized() -> None:
    async with FakeTelegramAPI(token="42:TEST") as server:
        bot = server.make_bot("43:OTHER")
        try:
            with pytest.raises(TelegramUnauthorizedError):
                await bot.get_me()
        finally:
            await bot.session.close()


async def test_polling_handles_start_end_to_end(
    http_bot: Bot, fake_server: FakeTelegramAPI
) -> None:
    """start_polling fetches the update, the handler replies, the next poll confirms it."""
    router = Router()

    @router.message(Command("start"))
    async def greet(message: Message) -> None:
        await message.answer("hi")

    dp = Dispatcher()
    dp.include_router(router)
    update = fake_server.updates.message(USER_ID, "/start")
    fake_server.feed(update)

    polling = asyncio.create_task(
        dp.start_polling(http_bot, handle_signals=False, polling_timeout=1)
    )
    try:
        await fake_server.wait_for("sendMessage")
        await fake_server.wait_for("getUpdates", count=2)
    finally:
        await dp.stop_polling()
        await polling

    assert fake_server.last("sendMessage") == {"chat_id": USER_ID, "text": "hi"}
    assert fake_server.offsets[0] == update["update_id"] + 1
    assert set(fake_server.offsets) == {update["update_id"] + 1}
    assert fake_server.pending == []
    assert fake_server.last("getUpdates")["allowed_updates"] == ["message"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    http_bot: Bot, fake_server: FakeTelegramAPI
) -> None:
    poll = asyncio.create_task(http_bot.get_updates(timeout=30))
    await fake_server.wait_for("getUpdates")
    update = fake_server.updates.message(USER_ID, "ping")
    fake_server.feed(update)

    async with asyncio.timeout(5):
        got = await poll

    assert [u.update_id for u in got] == [update["update_id"]]


async def test_get_updates_honours_offset_and_limit(
    http_bot: Bot, fake_server: FakeTelegramAPI
) -> None:
    fed = [fake_server.updates.message(USER_ID, f"m{i}") for i in range(3)]
    for update in fed:
        fake_server.feed(update)
    ids = [u["update_id"] for u in fed]

    first = await http_bot.get_updates(limit=2)
    again = await http_bot.get_updates(limit=2)
    rest = await http_bot.get_updates(offset=ids[1] + 1)
    after_all = await http_bot.get_updates(offset=ids[2] + 1)

    assert [u.update_id for u in first] == ids[:2]
    assert [u.update_id for u in again] == ids[:2], "unconfirmed updates are served again"
    assert [u.update_id for u in rest] == ids[2:]
    assert after_all == []
    assert fake_server.offsets == [ids[1] + 1, ids[2] + 1]


async def test_updates_outside_allowed_updates_are_dropped(
    http_bot: Bot, fake_server: FakeTelegramAPI
) -> None:
    sent = fake_server.api.chat(USER_ID)
    message = {"message_id": 1, "date": 0, "chat": sent, "text": "x"}
    callback = fake_server.updates.callback(USER_ID, message, "sa:confirm:1")
    fake_server.feed(callback)

    got = await http_bot.get_updates(allowed_updates=["message"])

    assert got == []
    assert fake_server.dropped == [callback]


async def test_webhook_blocks_get_updates_until_deleted(
    http_bot: Bot, fake_server: FakeTelegramAPI
) -> None:
    fake_server.feed(fake_server.updates.message(USER_ID, "queued"))
    assert await http_bot.set_webhook("https://bot.example/hook", secret_token="s3cret")

    info = await http_bot.get_webhook_info()
    with pytest.raises(TelegramConflictError):
        await http_bot.get_updates()
    assert await http_bot.delete_webhook(drop_pending_updates=True)

    assert (info.url, info.pending_update_count) == ("https://bot.example/hook", 1)
    assert fake_server.api.webhook == {}
    assert await http_bot.get_updates() == []


async def test_wait_for_times_out_with_the_calls_seen(
    http_bot: Bot, fake_server: FakeTelegramAPI
) -> None:
    await http_bot.get_me()

    with pytest.raises(TimeoutError, match=r"0/1 sendMessage calls.*getMe"):
        await fake_server.wait_for("sendMessage", timeout=0.01)
