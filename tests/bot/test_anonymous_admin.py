"""T4: Telegram's anonymous group admin (messages from the stand-in user GroupAnonymousBot,
``is_bot``, with the group as ``sender_chat``) is nobody to the bot: a privileged command from
it changes nothing, gets no answer and registers no user; nor does a real admin's command in a
group (privileged commands are private-chat only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import App
from core.db.models import AuditEntry, User
from tests.bot.conftest import ADMIN_ID, feed
from tests.fakes.telegram_api import FakeTelegramAPI

GROUP = -1005550001
ANONYMOUS_ADMIN = 1087968824  # Telegram's GroupAnonymousBot


def group_command(telegram_api: FakeTelegramAPI, user_id: int, text: str) -> dict[str, Any]:
    update = telegram_api.updates.message(user_id, text, chat_id=GROUP)
    message = update["message"]
    message["chat"] = {"id": GROUP, "type": "supergroup", "title": "Traders"}
    if user_id == ANONYMOUS_ADMIN:
        message["from"] = {
            "id": ANONYMOUS_ADMIN,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }
        message["sender_chat"] = message["chat"]
    return update


async def counts(app: App) -> tuple[int, int]:
    async with app.db.session() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
        return int(users or 0), int(audits or 0)


async def test_an_anonymous_group_admin_is_nobody(app: App, telegram_api: FakeTelegramAPI) -> None:
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/start"))
    await feed(app, telegram_api.updates.message(777, "/start"))
    before = await counts(app)
    for text in ("/grant 777 admin", "/ban 777", "/maintenance on", "/panic"):
        await feed(app, group_command(telegram_api, ANONYMOUS_ADMIN, text))
        await feed(app, group_command(telegram_api, ADMIN_ID, text))  # a real admin, in a group
    assert await counts(app) == before  # no user registered, nothing audited
    assert telegram_api.messages(GROUP) == []  # nothing said in the group
    async with app.db.session() as session:
        target = await session.scalar(select(User).where(User.telegram_id == 777))
        assert target is not None and target.role.value != "admin" and not target.is_banned
        assert (
            await session.scalar(select(User).where(User.telegram_id == ANONYMOUS_ADMIN)) is None
        )
