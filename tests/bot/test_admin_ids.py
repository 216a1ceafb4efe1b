"""/grant, /ban and /unban take a Telegram *user* id: a positive number. A negative id names a
group or channel; it is refused with a friendly answer and no user row is made."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.app import App
from core.db.models import User
from tests.bot.conftest import ADMIN_ID, feed
from tests.fakes.telegram_api import FakeTelegramAPI

NOT_USER_IDS = ["-5", "-1001234567890", "0", "-0", "+5", "12345678901234567", "²"]


@pytest.mark.parametrize("raw", NOT_USER_IDS)
@pytest.mark.parametrize("command", ["/grant {} admin", "/ban {}", "/unban {}"])
async def test_admin_commands_refuse_ids_that_are_not_users(
    app: App, telegram_api: FakeTelegramAPI, command: str, raw: str
) -> None:
    await feed(app, telegram_api.updates.message(ADMIN_ID, command.format(raw)))
    [reply] = [c["text"] for c in telegram_api.calls_of("sendMessage") if c["chat_id"] == ADMIN_ID]
    assert "positive" in reply and "user id" in reply
    assert "Something went wrong" not in reply
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1  # the admin


async def test_a_positive_user_id_is_still_granted(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/grant 5 viewer"))
    [reply] = [c["text"] for c in telegram_api.calls_of("sendMessage") if c["chat_id"] == ADMIN_ID]
    # an id that never wrote to the bot is acted on, and the answer says so (issue 12 rule)
    assert reply == (
        "User 5 is now viewer. They have not written to the bot yet; it applies when they do."
    )
