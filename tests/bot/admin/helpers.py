"""Helpers of the admin tools' tests: talk to the bot, read what it answered, count rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import App
from core.db.models import AuditEntry, User
from core.domain import Role
from tests.bot.conftest import ADMIN_ID, API_USER_ID, TRADER_ID, VIEWER_ID, feed
from tests.fakes.telegram_api import FakeTelegramAPI

ROLES = {TRADER_ID: Role.TRADER, VIEWER_ID: Role.VIEWER, API_USER_ID: Role.API_USER}


async def say(app: App, telegram_api: FakeTelegramAPI, user_id: int, text: str) -> str:
    """Send ``text`` as ``user_id``; the bot's latest message to them."""
    await feed(app, telegram_api.updates.message(user_id, text))
    return last(telegram_api, user_id)


async def press(
    app: App, telegram_api: FakeTelegramAPI, user_id: int, message: dict[str, Any], data: str
) -> str:
    """Press a button with ``data`` under ``message``; the callback's answer text."""
    await feed(app, telegram_api.updates.callback(user_id, message, data))
    return str(telegram_api.last("answerCallbackQuery").get("text", ""))


def last(telegram_api: FakeTelegramAPI, chat_id: int) -> str:
    messages = telegram_api.messages(chat_id)
    return str(messages[-1]["text"]) if messages else ""


def buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def audit_count(app: App) -> int:
    async with app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def user_row(app: App, telegram_id: int) -> User | None:
    async with app.db.session() as session:
        return await session.scalar(select(User).where(User.telegram_id == telegram_id))


async def with_roles(app: App, telegram_api: FakeTelegramAPI) -> None:
    """The admin and one user of each other role, each having written to the bot."""
    for telegram_id, name in ((ADMIN_ID, "boss"), *((t, f"u{t}") for t in ROLES)):
        await feed(
            app,
            telegram_api.updates.message(telegram_id, "/start", username=name, first_name=name),
        )
    for telegram_id, role in ROLES.items():
        await app.users.grant_role(None, telegram_id, role)
