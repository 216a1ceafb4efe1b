"""/users [query] (a page at a time, ◀ ▶) and /user <id>: the admins' view of users."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message

from core.domain import Role
from core.errors import UserError
from handlers import admin_render as render
from handlers.admin import telegram_id
from handlers.admin_render import UsersPageCallback, page_query
from handlers.commands import Routes, in_private_chat
from handlers.paging import page_of, show_page
from services.admin.service import AdminService
from services.dto import UserView

routes = Routes(__name__, message=in_private_chat)


@routes.command("users", "find users", Role.ADMIN, args="[query]", order=78)
async def list_users(
    message: Message, command: CommandObject, user: UserView, admin_service: AdminService
) -> None:
    await _users_page(message, user, admin_service, page_query(command.args or ""), 0)


@routes.callback_query(UsersPageCallback.filter(), flags={"role": Role.ADMIN})
async def turn_users_page(
    callback: CallbackQuery,
    callback_data: UsersPageCallback,
    user: UserView,
    admin_service: AdminService,
) -> None:
    await _users_page(callback, user, admin_service, callback_data.query, callback_data.page)


async def _users_page(
    event: Message | CallbackQuery,
    user: UserView,
    admin_service: AdminService,
    query: str,
    number: int,
) -> None:
    page = page_of(await admin_service.users.find(user, query), number)
    text, rows = render.user_list(page, query)
    await show_page(event, text, rows)


@routes.command(
    "user", "one user: role, ban, accounts, plans", Role.ADMIN, args="<telegram_id>", order=79
)
async def show_user(
    message: Message, command: CommandObject, user: UserView, admin_service: AdminService
) -> None:
    if not (command.args or "").strip():
        raise UserError("Usage: /user <telegram_id> (/users finds them).")
    card = await admin_service.users.card(user, telegram_id(command.args or ""))
    await message.answer(render.user_card(card))
