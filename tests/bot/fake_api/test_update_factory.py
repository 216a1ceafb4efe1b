"""`UpdateFactory` (with the tests' `FakeUpdateFactory` additions) builds dicts that aiogram
accepts and that line up with the emulator's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    ChatMemberAdministrator,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
    Update,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from tests.fakes.bot_api import FakeUpdateFactory, RecordingBotAPI

USER_ID = 7
CHANNEL_ID = -1001234567890

BUILDERS: list[tuple[str, Callable[[FakeUpdateFactory], dict[str, Any]]]] = [
    ("message", lambda f: f.message(USER_ID, "/start deep", username="alice")),
    ("message", lambda f: f.message(USER_ID, "hi", chat_id=-100555, first_name="Al")),
    (
        "callback_query",
        lambda f: f.callback(USER_ID, f.channel_post(CHANNEL_ID, "x")["channel_post"], "sa:1"),
    ),
    ("channel_post", lambda f: f.channel_post(CHANNEL_ID, "BTC LONG 70000", title="Signals")),
    ("edited_channel_post", lambda f: f.edited_channel_post(CHANNEL_ID, 3, "BTC SHORT")),
    (
        "message",
        lambda f: f.forward(USER_ID, CHANNEL_ID, "Signals", "ETH LONG", 10, 1_690_000_000),
    ),
    ("my_chat_member", lambda f: f.my_chat_member(CHANNEL_ID, USER_ID)),
]


@pytest.mark.parametrize(
    ("event_type", "build"),
    BUILDERS,
    ids=["command", "group", "callback", "channel_post", "edited_post", "forward", "my_member"],
)
def test_factory_dicts_validate_as_updates(
    updates: FakeUpdateFactory,
    event_type: str,
    build: Callable[[FakeUpdateFactory], dict[str, Any]],
) -> None:
    update = Update.model_validate(build(updates))

    assert update.event_type == event_type


def test_update_ids_increase(updates: FakeUpdateFactory) -> None:
    ids = [updates.message(USER_ID, str(i))["update_id"] for i in range(3)]

    assert ids == [1, 2, 3]


def test_leading_command_gets_bot_command_entity(updates: FakeUpdateFactory) -> None:
    command = updates.message(USER_ID, "/signal@tsbot_local BTC")["message"]
    plain = updates.message(USER_ID, "BTC /signal")["message"]

    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 19}]
    assert "entities" not in plain


def test_forward_has_channel_origin(updates: FakeUpdateFactory) -> None:
    update = Update.model_validate(
        updates.forward(USER_ID, CHANNEL_ID, "Signals", "ETH LONG", 10, 1_690_000_000)
    )

    assert update.message is not None
    origin = update.message.forward_origin
    assert isinstance(origin, MessageOriginChannel)
    assert (origin.chat.id, origin.chat.title, origin.message_id) == (CHANNEL_ID, "Signals", 10)
    assert origin.date.timestamp() == 1_690_000_000


async def test_channel_post_ids_follow_the_channel_counter(
    local_bot: Bot, local_api: RecordingBotAPI, updates: FakeUpdateFactory
) -> None:
    """A post, the bot's reply in the channel and the next post share one id sequence."""
    first = updates.channel_post(CHANNEL_ID, "BTC LONG", title="Signals")["channel_post"]
    reply = await local_bot.send_message(
        CHANNEL_ID, "tracked", reply_to_message_id=first["message_id"]
    )
    second = updates.channel_post(CHANNEL_ID, "ETH LONG")["channel_post"]
    edited = updates.edited_channel_post(CHANNEL_ID, first["message_id"], "BTC LONG (upd)")

    assert [first["message_id"], reply.message_id, second["message_id"]] == [1, 2, 3]
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "BTC LONG"
    assert edited["edited_channel_post"]["date"] == first["date"]
    assert local_api.message(CHANNEL_ID, 1) == edited["edited_channel_post"]
    assert [m["text"] for m in local_api.messages(CHANNEL_ID, include_incoming=True)] == [
        "BTC LONG (upd)",
        "tracked",
        "ETH LONG",
    ]


async def test_reply_to_a_bot_message(local_bot: Bot, updates: FakeUpdateFactory) -> None:
    sent = await local_bot.send_message(USER_ID, "Size?")

    update = Update.model_validate(
        updates.message(USER_ID, "100", reply_to_message_id=sent.message_id)
    )

    assert update.message is not None
    assert update.message.message_id == sent.message_id + 1
    assert update.message.reply_to_message is not None
    assert update.message.reply_to_message.text == "Size?"
    with pytest.raises(LookupError):
        updates.message(USER_ID, "x", reply_to_message_id=999)


async def test_my_chat_member_updates_the_member_registry(
    local_bot: Bot, updates: FakeUpdateFactory
) -> None:
    updates.my_chat_member(CHANNEL_ID, USER_ID, chat_type="channel", title="Signals")

    me = await local_bot.get_chat_member(CHANNEL_ID, 42)
    adder = await local_bot.get_chat_member(CHANNEL_ID, USER_ID)

    assert isinstance(me, ChatMemberAdministrator)
    assert isinstance(adder, ChatMemberAdministrator)


async def test_dispatcher_round_trip_over_local_session(
    local_bot: Bot, local_api: RecordingBotAPI, updates: FakeUpdateFactory
) -> None:
    """The console path: feed factory updates, the bot's answers land in LocalBotAPI."""
    router = Router()

    @router.message(Command("start"))
    async def greet(message: Message) -> None:
        await message.answer("Pick one", reply_markup=_keyboard())

    @router.callback_query(F.data == "pick:1")
    async def pick(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Picked 1")
        await query.answer("ok")

    dp = Dispatcher()
    dp.include_router(router)

    await dp.feed_raw_update(local_bot, updates.message(USER_ID, "/start"))
    menu = local_api.messages(USER_ID)[-1]
    await dp.feed_raw_update(local_bot, updates.callback(USER_ID, menu, "pick:1"))

    assert [m["text"] for m in local_api.messages(USER_ID)] == ["Picked 1"]
    assert local_api.last("answerCallbackQuery") == {"callback_query_id": "1", "text": "ok"}


def _keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="One", callback_data="pick:1")
    return builder.as_markup()
