"""Admin commands: roles, bans, audit trail. Each is audited by the service."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import Message

from core.domain import Role
from core.errors import UserError
from handlers import numbers
from handlers.command_menu import fit_menu
from handlers.commands import Routes, in_private_chat
from handlers.html import escape
from services.dto import UserView
from services.users import UserService, parse_role

routes = Routes(__name__, message=in_private_chat)


def _telegram_id(raw: str) -> int:
    """A Telegram *user* id: positive ASCII digits (a negative id is a group or a channel)."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 16 or int(raw) == 0:
        raise UserError(
            "Give a Telegram user id: a positive number such as 123456789 "
            "(a negative id is a group or a channel, not a user)."
        )
    return int(raw)


@routes.command("grant", "give a user a role", Role.ADMIN, args="<telegram_id> <role>", order=80)
async def grant_role(
    message: Message, command: CommandObject, user: UserView, user_service: UserService, bot: Bot
) -> None:
    parts = (command.args or "").split()
    if len(parts) != 2:
        raise UserError("Usage: /grant <telegram_id> <role> (admin, trader, viewer, api_user).")
    target = await user_service.grant_role(user, _telegram_id(parts[0]), parse_role(parts[1]))
    await message.answer(f"User {target.telegram_id} is now {target.role.value}.")
    await fit_menu(bot, target.telegram_id, target.role)  # their private chat's menu


@routes.command("ban", "ban a user", Role.ADMIN, args="<telegram_id>", order=81)
async def ban_user(
    message: Message, command: CommandObject, user: UserView, user_service: UserService
) -> None:
    target = await user_service.set_banned(user, _telegram_id(command.args or ""), True)
    await message.answer(f"User {target.telegram_id} is banned.")


@routes.command("unban", "lift a ban", Role.ADMIN, args="<telegram_id>", order=82)
async def unban_user(
    message: Message, command: CommandObject, user: UserView, user_service: UserService
) -> None:
    target = await user_service.set_banned(user, _telegram_id(command.args or ""), False)
    await message.answer(f"User {target.telegram_id} is no longer banned.")


@routes.command("audit", "the latest privileged actions", Role.ADMIN, order=83)
async def show_audit(message: Message, user_service: UserService) -> None:
    entries = await user_service.recent_audit(limit=15)
    if not entries:
        await message.answer("The audit trail is empty.")
        return
    lines = ["<b>Audit trail</b>"]
    for entry in entries:
        lines.append(
            f"{numbers.moment(entry.created_at)} {escape(entry.action)} "
            f"{escape(entry.target or '')} by {escape(entry.actor or 'cli')}"
        )
    await message.answer("\n".join(lines))
