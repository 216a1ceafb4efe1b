"""Admin commands on users: /role (and /grant, its older name), /ban, /unban, /audit.

Each is one call to ``AdminService`` (which checks the caller, audits, and reports a no-op as
one); the answers are rendered by ``handlers.admin_render``. /users and /user are in
``handlers.admin_users``, /broadcast in ``handlers.broadcast``.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import Message

from core.domain import Role
from core.errors import UserError
from handlers import admin_render as render
from handlers.command_menu import fit_menu
from handlers.commands import Routes, in_private_chat
from handlers.paging import answer_long
from services.admin.service import AdminService
from services.dto import UserView
from services.users import parse_role

routes = Routes(__name__, message=in_private_chat)

AUDIT_LINES = 20


def telegram_id(raw: str) -> int:
    """A Telegram *user* id: positive ASCII digits (a negative id is a group or a channel)."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 16 or int(raw) == 0:
        raise UserError(
            "Give a Telegram user id: a positive number such as 123456789 "
            "(a negative id is a group or a channel, not a user)."
        )
    return int(raw)


async def _set_role(
    name: str,
    message: Message,
    command: CommandObject,
    user: UserView,
    admin: AdminService,
    bot: Bot,
) -> None:
    parts = (command.args or "").split()
    if len(parts) != 2:
        raise UserError(f"Usage: /{name} <telegram_id> <role> (admin, trader, viewer, api_user).")
    change = await admin.users.set_role(user, telegram_id(parts[0]), parse_role(parts[1]))
    await message.answer(render.role_changed(change))
    if change.changed:
        await fit_menu(bot, change.user.telegram_id, change.user.role)  # their chat's menu


@routes.command("role", "set a user's role", Role.ADMIN, args="<telegram_id> <role>", order=80)
async def set_role(
    message: Message, command: CommandObject, user: UserView, admin_service: AdminService, bot: Bot
) -> None:
    await _set_role("role", message, command, user, admin_service, bot)


@routes.command(
    "grant", "give a user a role (as /role)", Role.ADMIN, args="<telegram_id> <role>", order=86
)
async def grant_role(
    message: Message, command: CommandObject, user: UserView, admin_service: AdminService, bot: Bot
) -> None:
    await _set_role("grant", message, command, user, admin_service, bot)


@routes.command("ban", "ban a user", Role.ADMIN, args="<telegram_id>", order=81)
async def ban_user(
    message: Message, command: CommandObject, user: UserView, admin_service: AdminService
) -> None:
    change = await admin_service.users.set_banned(user, telegram_id(command.args or ""), True)
    await message.answer(render.ban_changed(change, banned=True))


@routes.command("unban", "lift a ban", Role.ADMIN, args="<telegram_id>", order=82)
async def unban_user(
    message: Message, command: CommandObject, user: UserView, admin_service: AdminService
) -> None:
    change = await admin_service.users.set_banned(user, telegram_id(command.args or ""), False)
    await message.answer(render.ban_changed(change, banned=False))


@routes.command("audit", "the latest privileged actions", Role.ADMIN, order=83)
async def show_audit(message: Message, user: UserView, admin_service: AdminService) -> None:
    await answer_long(message, render.audit(await admin_service.audit.recent(user, AUDIT_LINES)))
