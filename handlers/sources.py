"""Sources: the bot added to a channel (my_chat_member), /sources, /source add|remove.

``BotChatDirectory`` is the ``ChatDirectory`` port over aiogram's Bot: Telegram calls stay in
this layer, the services get plain values.
"""

from __future__ import annotations

import contextlib
from typing import Literal

import structlog
from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from core.domain import Role
from core.errors import UserError
from handlers import signals_render as render
from handlers import sources_render
from handlers.admin_render import SourceAdminCallback, source_acted, source_admin_list
from handlers.commands import PUBLIC, Routes, in_private_chat
from handlers.html import escape
from handlers.paging import PageCallback, markup, page_of, show_page
from handlers.sources_render import SourceApproveCallback
from services.admin.service import AdminService
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
async def show_sources(
    message: Message,
    user: UserView,
    source_service: SourceService,
    admin_service: AdminService | None = None,
) -> None:
    await _sources_page(message, user, source_service, 0, admin_service)


@routes.callback_query(PageCallback.filter(F.view == "sources"), flags={"role": "sources.read"})
async def turn_sources_page(
    callback: CallbackQuery,
    callback_data: PageCallback,
    user: UserView,
    source_service: SourceService,
    admin_service: AdminService | None = None,
) -> None:
    await _sources_page(callback, user, source_service, callback_data.page, admin_service)


async def _sources_page(
    event: Message | CallbackQuery,
    user: UserView,
    source_service: SourceService,
    number: int,
    admin_service: AdminService | None,
) -> None:
    """The sources ``user`` may see: approved ones, and their own or invited ones until then;
    an admin sees every source with its owner, state and the buttons to manage it."""
    if user.role is Role.ADMIN and admin_service is not None:
        rows = page_of(await admin_service.sources.overview(user), number)
        text, buttons = source_admin_list(rows.items, rows.label)
        await show_page(event, text, buttons + rows.buttons("sources"))
        return
    page = page_of(await source_service.list_sources(user), number)
    await show_page(event, render.source_list(page.items, page.label), page.buttons("sources"))


@routes.callback_query(SourceAdminCallback.filter(), flags={"role": Role.ADMIN})
async def act_on_source(
    callback: CallbackQuery,
    callback_data: SourceAdminCallback,
    user: UserView,
    admin_service: AdminService,
) -> None:
    """Approve, Pause, Resume or Remove pressed in the admins' /sources; the list is redrawn."""
    _, changed = await admin_service.sources.act(
        user, callback_data.source_id, callback_data.action
    )
    await callback.answer("Done." if changed else "Nothing changed: it was so already.")
    if isinstance(callback.message, Message):
        page = page_of(await admin_service.sources.overview(user), 0)
        with contextlib.suppress(TelegramAPIError):  # unchanged text: nothing to redraw
            text, rows = source_admin_list(page.items, page.label)
            await callback.message.edit_text(
                text, reply_markup=markup(rows + page.buttons("sources"))
            )


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
    admin_service: AdminService,
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
    action: Literal["approve", "remove"] = "approve" if parts[0].lower() == "approve" else "remove"
    found = await source_service.resolve(parts[1], user)
    row, changed = await admin_service.sources.act(user, found.id, action)
    await message.answer(source_acted(row, changed, action))


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
