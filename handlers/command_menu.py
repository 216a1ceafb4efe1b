"""The command menu Telegram shows by the text field: per role, from the command registry.

Telegram picks a private chat's menu by scope: the chat's own list when it has one, else the
list for all private chats. So every private chat gets the commands of the role a new user
starts with (``NEW_USER_ROLE``); the chats of ``ADMIN_IDS`` get the admin list at start, a
user's chat is fitted when an admin /grants them a role, and again when they send /help (or
/start with a role other than the new user's: a new user's /start costs no API call); a user
of the new-user role gets the shared list back. The bot
answers in private chats only, so groups get no list. The texts exist in English only, so the
lists carry no ``language_code`` and serve every language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from core.domain import Role
from core.permissions import role_allows
from handlers.commands import COMMANDS

log = structlog.get_logger(__name__)

NEW_USER_ROLE: Final = Role.TRADER  # what services.users gives a user on first contact
MAX_COMMANDS: Final = 100  # Telegram's limit per list
MAX_DESCRIPTION: Final = 256


def menu(role: Role) -> list[BotCommand]:
    """The commands ``role`` may use, in /help's order."""
    allowed = sorted(
        (c for c in COMMANDS.values() if role_allows(role, c.required)),
        key=lambda c: (c.order, c.name),
    )
    return [
        BotCommand(command=c.name, description=c.description[:MAX_DESCRIPTION])
        for c in allowed[:MAX_COMMANDS]
    ]


async def publish_menus(bot: Bot, admin_ids: Iterable[int]) -> None:
    """At start: the new-user list for all private chats, the admin list for each admin's chat.
    A refusal is logged, not raised: the bot works without a menu."""
    try:
        await bot.set_my_commands(menu(NEW_USER_ROLE), scope=BotCommandScopeAllPrivateChats())
        admin = menu(Role.ADMIN)
        for chat_id in admin_ids:
            await bot.set_my_commands(admin, scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError as exc:
        log.warning("command_menu_failed", error=type(exc).__name__)


async def fit_menu(bot: Bot, chat_id: int, role: Role) -> None:
    """Give a private chat the menu of its user's role (logged, not raised, when refused)."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        if role is NEW_USER_ROLE:
            await bot.delete_my_commands(scope=scope)  # back to the all-private-chats list
        else:
            await bot.set_my_commands(menu(role), scope=scope)
    except TelegramAPIError as exc:
        log.warning("command_menu_failed", error=type(exc).__name__, chat_id=chat_id)
