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
from handlers import sources_render
from handlers.commands import PUBLIC, Routes, in_private_chat
from handlers.html import escape
from handlers.paging import PageCallback, page_of, show_page
from handlers.sources_render import SourceApproveCallback
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
async def show_sources(message: Message, user: UserView, source_service: SourceService) -> None:
    await _sources_page(message, user, source_service, 0)


@routes.callback_query(PageCallback.filter(F.view == "sources"), flags={"role": "sources.read"})
async def turn_sources_page(
    callback: CallbackQuery,
    callback_data: PageCallback,
    user: UserView,
    source_service: SourceService,
) -> None:
    await _sources_page(callback, user, source_service, callback_data.page)


async def _sources_page(
    event: Message | CallbackQuery, user: UserView, source_service: SourceService, number: int
) -> None:
    """The sources ``user`` may see: approved ones, and their own or invited ones until then."""
    page = page_of(await source_service.list_sources(user), number)
    await show_page(event, render.source_list(page.items, page.label), page.buttons("sources"))


@routes.command(
    "source",
    "register, approve or stop a channel",
    "sources.manage",
    args="add|approve|remove <@channel, -100id or number>",
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
    if len(parts) != 2 or parts[0].lower() not in {"add", "approve", "remove"}:
        raise UserError(
            "Usage: /source add <@channel or -100id>, /source approve <source>, "
            "or /source remove <source>."
        )
    if parts[0].lower() == "add":
        source = await source_service.add(user, parts[1], BotChatDirectory(bot))
        await message.answer(f"{escape(source.name)} is a signal source now (#{source.id}).")
        return
    if parts[0].lower() == "approve":
        source = await source_service.approve(user, parts[1])
        await message.answer(sources_render.approved_for_admin(source))
        return
    source = await source_service.remove(user, parts[1])
    await message.answer(f"I stopped reading {escape(source.name)}.")


@routes.callback_query(SourceApproveCallback.filter(), flags={"role": "sources.manage"})
async def approve_source_button(
    query: CallbackQuery,
    callback_data: SourceApproveCallback,
    user: UserView,
    source_service: SourceService,
) -> None:
    """Approve pressed on an admin's notice; the service re-checks the presser is an admin."""
    source = await source_service.approve(user, str(callback_data.source_id))
    await query.answer("Approved.")
    if isinstance(query.message, Message):  # not an inaccessible (too old) message
        await query.message.edit_text(sources_render.approved_for_admin(source))


@routes.command(
    "invite",
    "let a user see your channel before an admin approves it",
    "sources.read",
    args="<source> <@user or id>",
    order=42,
)
async def invite_to_source(
    message: Message, command: CommandObject, user: UserView, source_service: SourceService
) -> None:
    source_ref, who = _source_and_user(command, "invite")
    source, invitee = await source_service.invite(user, source_ref, who)
    await message.answer(sources_render.invited(source, invitee))


@routes.command(
    "uninvite",
    "take back an invitation to your channel (they stop following it)",
    "sources.read",
    args="<source> <@user or id>",
    order=43,
)
async def uninvite_from_source(
    message: Message, command: CommandObject, user: UserView, source_service: SourceService
) -> None:
    source_ref, who = _source_and_user(command, "uninvite")
    source, invitee = await source_service.invite(user, source_ref, who, admit=False)
    await message.answer(sources_render.uninvited(source, invitee))


def _source_and_user(command: CommandObject, name: str) -> tuple[str, str]:
    parts = (command.args or "").split()
    if len(parts) != 2:
        raise UserError(f"Usage: /{name} <source> <@user or id>, e.g. /{name} 3 @alice.")
    return parts[0], parts[1]
