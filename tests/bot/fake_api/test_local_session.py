"""`LocalSession`: a real `Bot` answered in process by the console's emulator (here with
recording, `RecordingBotAPI`)."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ChatAction
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.console.api import MessageEvent
from bot.console.session import LocalSession
from tests.fakes.bot_api import RecordingBotAPI
from tests.fakes.telegram_api import RecordingSession

USER_ID = 7
CHANNEL_ID = -1001234567890

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Close", callback_data="sa:close:1")]]
)


async def test_send_edit_delete_round_trip(local_bot: Bot, local_api: RecordingBotAPI) -> None:
    sent = await local_bot.send_message(
        USER_ID, "<b>LONG</b> BTC &lt; 70k", parse_mode="HTML", reply_markup=KEYBOARD
    )
    edited = await local_bot.edit_message_text(
        "<i>closed</i>", chat_id=USER_ID, message_id=sent.message_id, parse_mode="HTML"
    )
    after_edit = local_api.messages(USER_ID)
    deleted = await local_bot.delete_message(USER_ID, sent.message_id)

    assert sent.text == "LONG BTC < 70k"
    assert sent.reply_markup is not None
    assert not isinstance(edited, bool)
    assert edited.text == "closed"
    assert edited.edit_date is not None
    assert edited.reply_markup is None, "editMessageText without reply_markup drops it"
    assert [m["text"] for m in after_edit] == ["closed"]
    assert deleted is True
    assert local_api.messages(USER_ID) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await local_bot.delete_message(USER_ID, sent.message_id)


async def test_edit_reply_markup_and_not_modified(local_bot: Bot) -> None:
    sent = await local_bot.send_message(USER_ID, "signal")

    edited = await local_bot.edit_message_reply_markup(
        chat_id=USER_ID, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await local_bot.edit_message_text(
            "signal", chat_id=USER_ID, message_id=sent.message_id, reply_markup=KEYBOARD
        )

    assert not isinstance(edited, bool)
    assert edited.reply_markup is not None


async def test_errors_map_to_aiogram_exceptions(
    local_bot: Bot, local_api: RecordingBotAPI
) -> None:
    local_api.fail("sendMessage", 429, retry_after=5)
    with pytest.raises(TelegramRetryAfter) as caught:
        await local_bot.send_message(USER_ID, "flood")
    assert caught.value.retry_after == 5

    local_api.block(USER_ID)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await local_bot.send_message(USER_ID, "hello?")

    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await local_bot.send_message(USER_ID + 1, "price <b>70k", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await local_bot.send_message(USER_ID + 1, "x" * 4097)
    with pytest.raises(TelegramNotFound, match="method not found"):
        await local_bot.get_updates()


async def test_unknown_chat_is_not_found_when_strict() -> None:
    api = RecordingBotAPI(strict_chats=True)
    async with Bot("42:TEST", session=LocalSession(api)) as bot:
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.send_message(CHANNEL_ID, "post")
        api.add_chat(CHANNEL_ID, "channel", title="Signals", username="signals")
        by_username = await bot.send_message("@signals", "post")

    assert by_username.chat.id == CHANNEL_ID
    assert by_username.chat.type == "channel"
    assert by_username.sender_chat is not None


async def test_params_are_serialised_like_the_http_session(local_api: RecordingBotAPI) -> None:
    """Defaults resolve, enums become values, nested objects become dicts, ids stay ints."""
    bot = Bot(
        "42:TEST",
        session=LocalSession(local_api),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    async with bot:
        await bot.send_message(USER_ID, "123", reply_markup=KEYBOARD)
        await bot.send_chat_action(USER_ID, ChatAction.TYPING)

    assert local_api.last("sendMessage") == {
        "chat_id": USER_ID,
        "text": "123",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Close", "callback_data": "sa:close:1"}]]},
    }
    assert local_api.last("sendChatAction") == {"chat_id": USER_ID, "action": "typing"}


async def test_on_message_queue_sees_sent_edited_deleted(local_api: RecordingBotAPI) -> None:
    events: asyncio.Queue[MessageEvent] = asyncio.Queue()
    local_api.on_message = events
    async with Bot("42:TEST", session=LocalSession(local_api)) as bot:
        sent = await bot.send_message(USER_ID, "one")
        await bot.edit_message_text("two", chat_id=USER_ID, message_id=sent.message_id)
        await bot.delete_message(USER_ID, sent.message_id)

    seen = [events.get_nowait() for _ in range(events.qsize())]
    assert [(e.kind, e.chat_id, e.message["text"]) for e in seen] == [
        ("sent", USER_ID, "one"),
        ("edited", USER_ID, "two"),
        ("deleted", USER_ID, "two"),
    ]


async def test_on_message_callback_may_be_async(
    local_bot: Bot, local_api: RecordingBotAPI
) -> None:
    printed: list[str] = []

    async def show(event: MessageEvent) -> None:
        printed.append(f"{event.kind}: {event.message['text']}")

    local_api.on_message = show
    await local_bot.send_message(USER_ID, "hi")

    assert printed == ["sent: hi"]


async def test_chat_members_and_administrators(local_bot: Bot, local_api: RecordingBotAPI) -> None:
    local_api.add_chat(CHANNEL_ID, "channel", title="Signals")
    local_api.set_member(CHANNEL_ID, USER_ID, "creator")
    local_api.set_member(CHANNEL_ID, 42, "administrator")

    owner = await local_bot.get_chat_member(CHANNEL_ID, USER_ID)
    member = await local_bot.get_chat_member(CHANNEL_ID, 99)
    admins = await local_bot.get_chat_administrators(CHANNEL_ID)
    chat = await local_bot.get_chat(CHANNEL_ID)

    assert isinstance(owner, ChatMemberOwner)
    assert isinstance(member, ChatMemberMember)
    assert [(type(a), a.user.id) for a in admins] == [
        (ChatMemberOwner, USER_ID),
        (ChatMemberAdministrator, 42),
    ]
    assert isinstance(chat, ChatFullInfo)
    assert (chat.type, chat.title) == ("channel", "Signals")


async def test_commands_and_webhook_state(local_bot: Bot) -> None:
    scope = BotCommandScopeAllPrivateChats()
    commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="balance", description="Balance"),
    ]

    assert await local_bot.set_my_commands(commands, scope=scope)
    stored = await local_bot.get_my_commands(scope=scope)
    assert await local_bot.get_my_commands() == []
    assert await local_bot.delete_my_commands(scope=scope)
    assert await local_bot.set_webhook("https://bot.example/hook")
    info = await local_bot.get_webhook_info()

    assert [c.command for c in stored] == ["start", "balance"]
    assert await local_bot.get_my_commands(scope=scope) == []
    assert info.url == "https://bot.example/hook"
    assert await local_bot.delete_webhook()
    assert (await local_bot.get_webhook_info()).url == ""


async def test_leave_chat_then_sending_is_forbidden(
    local_bot: Bot, local_api: RecordingBotAPI
) -> None:
    local_api.add_chat(CHANNEL_ID, "channel", title="Signals")

    assert await local_bot.leave_chat(CHANNEL_ID)
    with pytest.raises(TelegramForbiddenError, match="not a member of the channel"):
        await local_bot.send_message(CHANNEL_ID, "post")


async def test_recording_session_records_calls() -> None:
    session = RecordingSession()
    async with Bot("42:TEST", session=session) as bot:
        await bot.send_message(USER_ID, "hello")
        session.fail("sendMessage", 403)
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(USER_ID, "again")

    assert [name for name, _ in session.calls] == ["sendMessage", "sendMessage"]
    assert session.last("sendMessage")["text"] == "again"
    assert session.closed
