"""/users [query] (a page at a time, ◀ ▶) and /user <id>: the admins' view of users."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message

from core.domain import Role
from core.errors import UserError
from handlers import admin_render as render
from handlers.admin import telegram_id
from handlers.admin_render import QUERY_LIMIT, UsersPageCallback
from handlers.commands import Routes, in_private_chat
from handlers.paging import page_of, show_page
from services.admin.service import AdminService
from services.dto import UserView

routes = Routes(__name__, message=in_private_chat)


def page_query(query: str) -> str:
    """The query as a page button carries it: no ``:`` (the separator), at most
    ``QUERY_LIMIT`` bytes in UTF-8."""
    text = query.replace(":", "").strip()
    while len(text.encode()) > QUERY_LIMIT:
        text = text[:-1]
    return text


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
    row = [
        {"text": text, "callback_data": UsersPageCallback(page=n, query=query).pack()}
        for text, n, shown in (
            ("◀", page.number - 1, page.number > 0),
            ("▶", page.number + 1, page.number < page.count - 1),
        )
        if shown
    ]
    await show_page(event, render.user_list(page.items, query, page.label), [row] if row else [])


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
