"""Every admin tool is refused to every other role, with real arguments and from its buttons,
and changes nothing (the table test in tests/bot/test_runtime.py sends each bare command)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from core.db.models import Broadcast, OutboxMessage, Source
from handlers.admin_render import BroadcastCallback, SourceAdminCallback, UsersPageCallback
from tests.bot.admin.helpers import ROLES, audit_count, press, say, user_row, with_roles
from tests.bot.conftest import ADMIN_ID, TRADER_ID, VIEWER_ID
from tests.bot.signals.test_intake import register
from tests.fakes.telegram_api import FakeTelegramAPI

COMMANDS = [
    "/users",
    "/users u",
    f"/user {TRADER_ID}",
    f"/role {VIEWER_ID} admin",
    f"/grant {VIEWER_ID} admin",
    f"/ban {VIEWER_ID}",
    f"/unban {VIEWER_ID}",
    "/audit",
    "/broadcast hello everyone",
    "/source remove 1",
]


@pytest.mark.parametrize("command", COMMANDS)
async def test_admin_commands_are_refused_to_every_other_role(
    app: App, telegram_api: FakeTelegramAPI, command: str
) -> None:
    await with_roles(app, telegram_api)
    await register(app, telegram_api)
    before = await audit_count(app)
    for telegram_id in ROLES:
        reply = await say(app, telegram_api, telegram_id, command)
        assert "not allowed" in reply, (command, telegram_id, reply)
    assert await audit_count(app) == before
    viewer = await user_row(app, VIEWER_ID)
    assert viewer is not None and viewer.role.value == "viewer" and not viewer.is_banned
    async with app.db.session() as session:
        assert list(await session.scalars(select(Broadcast.id))) == []
        source = await session.scalar(select(Source))
        assert source is not None and source.is_active


async def test_admin_buttons_are_refused_to_every_other_role(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    await register(app, telegram_api)
    await say(app, telegram_api, ADMIN_ID, "/broadcast hello")
    preview = telegram_api.messages(ADMIN_ID)[-1]
    before = await audit_count(app)
    presses = [
        UsersPageCallback(page=1, query="").pack(),
        BroadcastCallback(action="send", broadcast_id=1).pack(),
        BroadcastCallback(action="cancel", broadcast_id=1).pack(),
        *(SourceAdminCallback(action=a, source_id=1).pack() for a in ("pause", "remove")),
    ]
    for telegram_id in ROLES:
        for data in presses:
            answer = await press(app, telegram_api, telegram_id, preview, data)
            assert "not allowed" in answer, (telegram_id, data, answer)
    assert await audit_count(app) == before
    async with app.db.session() as session:
        queued = select(OutboxMessage.id).where(OutboxMessage.dedupe_key.like("bc:%"))
        assert list(await session.scalars(queued)) == []  # no broadcast copy
        assert await session.scalar(select(Broadcast.status)) == "draft"
