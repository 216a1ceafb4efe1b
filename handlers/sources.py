"""Sources: the bot added to a channel (my_chat_member), /sources, /source add|remove.

``BotChatDirectory`` is the ``ChatDirectory`` port over aiogram's Bot: Telegram calls stay in
this layer, the services get plain values.
"""

from __future__ import annotations

import structlog
from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from core.errors import UserError
from handlers import signals_render as render
from handlers.commands import PUBLIC, Routes, in_private_chat
from handlers.html import escape
from handlers.paging import PageCallback, page_of, show_page
from services.dto import UserView
from services.signal_dto import ChatInfo
from services.sources import SourceService

routes = Routes(__name__, message=in_private_chat)
log = structlog.get_logger(__name__)


class BotChatDirectory:
    """Answers the services' questions about chats with getChat / getChatMember."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def chat(self, ref: int | str) -> ChatInfo | None:
        try:
            chat = await self._bot.get_chat(ref)
        except TelegramAPIError as exc:  # unknown chat, or the bot is not in it
            log.info("get_chat_failed", error=type(exc).__name__)
            return None
        return ChatInfo(chat.id, chat.type, chat.title, chat.username)

    async def member_status(self, chat_id: int, user_id: int) -> str | None:
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramAPIError as exc:
            log.info("get_chat_member_failed", error=type(exc).__name__)
            return None
        return str(member.status)


@routes.my_chat_member(flags={"role": PUBLIC})
async def bot_membership_changed(
    event: ChatMemberUpdated, bot: Bot, source_service: SourceService, user: UserView | None = None
) -> None:
    """Anyone may add the bot to a channel; the service verifies them with Telegram."""
    chat = event.chat
    await source_service.on_bot_membership(
        user,
        ChatInfo(chat.id, chat.type, chat.title, chat.username),
        str(event.new_chat_member.status),
        BotChatDirectory(bot),
    )


@routes.command("sources", "the channels I read signals from", "sources.read", order=40)
async def show_sources(message: Message, source_service: SourceService) -> None:
    await _sources_page(message, source_service, 0)


@routes.callback_query(PageCallback.filter(F.view == "sources"), flags={"role": "sources.read"})
async def turn_sources_page(
    callback: CallbackQuery, callback_data: PageCallback, source_service: SourceService
) -> None:
    await _sources_page(callback, source_service, callback_data.page)


async def _sources_page(
    event: Message | CallbackQuery, source_service: SourceService, number: int
) -> None:
    page = page_of(await source_service.list_sources(), number)
    await show_page(event, render.source_list(page.items, page.label), page.buttons("sources"))


@routes.command(
    "source",
    "register or stop a channel",
    "sources.manage",
    args="add|remove <@channel or -100id>",
    order=84,
)
async def manage_source(
    message: Message,
    command: CommandObject,
    user: UserView,
    bot: Bot,
    source_service: SourceService,
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) != 2 or parts[0].lower() not in {"add", "remove"}:
        raise UserError("Usage: /source add <@channel or -100id>, or /source remove <source>.")
    if parts[0].lower() == "add":
        source = await source_service.add(user, parts[1], BotChatDirectory(bot))
        await message.answer(f"{escape(source.name)} is a signal source now (#{source.id}).")
        return
    source = await source_service.remove(user, parts[1])
    await message.answer(f"I stopped reading {escape(source.name)}.")
