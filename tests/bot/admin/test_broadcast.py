"""/broadcast through the real dispatcher, the outbox sender and the broadcast watcher, to the
fake Bot API: 300 users, Telegram answering some sends with 429 (retry_after) and ten users
having blocked the bot. Everyone else gets it exactly once, within Telegram's limits, the
progress message is edited as it goes and ends with the right counts, and the blocked users
are marked so the next broadcast skips them."""

from __future__ import annotations

import asyncio
import html
import time
from typing import Any

from sqlalchemy import insert, select

from bot.app import App
from bot.console.api import MessageEvent
from bot.features.admin import BroadcastWatcher
from core.db.models import OutboxMessage, User
from core.domain import Role
from tests.bot.admin.helpers import buttons, press, say
from tests.bot.conftest import ADMIN_ID, TRADER_ID
from tests.fakes.telegram_api import FakeTelegramAPI

CROWD = [60_000 + n for n in range(300)]
BLOCKED = CROWD[::30]  # ten of them
OTHER_ADMIN = 1002
TEXT = "Maintenance tonight <22:00 UTC> & back by 23:00"


async def crowd(app: App, telegram_api: FakeTelegramAPI) -> None:
    """Two admins, a trader who wrote to the bot, and 300 traders (ten blocked the bot)."""
    await say(app, telegram_api, ADMIN_ID, "/start")
    await app.users.grant_role(None, OTHER_ADMIN, Role.ADMIN)
    await app.users.ensure(TRADER_ID, None, "T")
    async with app.db.transaction() as session:
        await session.execute(
            insert(User), [{"telegram_id": t, "role": Role.TRADER} for t in CROWD]
        )
    for telegram_id in BLOCKED:
        telegram_api.api.block(telegram_id)


def watcher_of(app: App) -> BroadcastWatcher:
    """The admin feature's background job (the app does not start its jobs in tests)."""
    owners = [getattr(job, "__self__", None) for job in app.background]
    [watcher] = [owner for owner in owners if isinstance(owner, BroadcastWatcher)]
    return watcher


async def finished(telegram_api: FakeTelegramAPI, message: dict[str, Any]) -> str:
    """Wait until the progress message shows the result; its text."""
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    for _ in range(600):
        shown = telegram_api.api.message(chat_id, message_id) or {}
        if str(shown.get("text", "")).startswith("✅"):
            return str(shown["text"])
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the broadcast did not finish: {shown.get('text')}")


async def test_broadcast_to_300_users_with_429s_and_blocked_users(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await crowd(app, telegram_api)
    sent_at: list[float] = []

    def record(event: MessageEvent) -> None:
        if event.kind == "sent":
            sent_at.append(time.monotonic())

    telegram_api.api.on_message = record
    preview_text = await say(app, telegram_api, ADMIN_ID, f"/broadcast {TEXT}")
    assert "Broadcast #1 to 303 users" in preview_text and TEXT in preview_text
    preview = telegram_api.messages(ADMIN_ID)[-1]
    send = buttons(preview)["Confirm"]
    assert "Only the admin who wrote" in await press(app, telegram_api, OTHER_ADMIN, preview, send)
    assert "not allowed" in await press(app, telegram_api, TRADER_ID, preview, send)
    async with app.db.session() as session:
        assert list(await session.scalars(select(OutboxMessage.id))) == []  # nothing queued yet
    assert await press(app, telegram_api, ADMIN_ID, preview, send) == "Sending."
    assert "sent already" in await press(app, telegram_api, ADMIN_ID, preview, send)
    telegram_api.fail("sendMessage", 429, retry_after=1, times=5)
    stop = asyncio.Event()
    jobs = [
        asyncio.create_task(app.outbox.run(stop)),
        asyncio.create_task(watcher_of(app).run(stop)),
    ]
    try:
        result = await finished(telegram_api, preview)
    finally:
        stop.set()
        app.outbox.wake()
        await asyncio.gather(*jobs)
    assert "finished" in result
    assert "293 delivered, 10 blocked the bot, 0 failed, of 303" in result
    for telegram_id in [ADMIN_ID, OTHER_ADMIN, TRADER_ID, *CROWD]:
        copies = [m for m in telegram_api.messages(telegram_id) if m["text"] == TEXT]
        expected = 0 if telegram_id in BLOCKED else 1
        assert len(copies) == expected, telegram_id
    tries = [
        c
        for c in telegram_api.calls_of("sendMessage")
        if c["text"] == html.escape(TEXT, quote=False)
    ]
    assert len(tries) == 303 + 5  # each recipient once, and the five sends refused with 429
    edits = [c for c in telegram_api.calls_of("editMessageText") if c["chat_id"] == ADMIN_ID]
    assert len(edits) >= 2  # "sending…" at Send, then the watcher's progress and the result
    assert any("sending…" in e["text"] for e in edits)
    sent_at.sort()
    window = max(sum(1 for t in sent_at if s <= t < s + 1.0) for s in sent_at)
    assert window <= 25 + 1, window  # the outbox's global budget (Telegram's ~30/s)
    async with app.db.session() as session:
        inactive = set(await session.scalars(select(User.telegram_id).where(~User.is_active)))
    assert inactive == set(BLOCKED)
    again = await say(app, telegram_api, ADMIN_ID, "/broadcast Second one")
    assert "to 293 users" in again  # the blocked ones are skipped from now on


async def test_a_cancelled_broadcast_sends_nothing_and_bad_input_changes_nothing(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await crowd(app, telegram_api)
    assert "Usage: /broadcast" in await say(app, telegram_api, ADMIN_ID, "/broadcast   ")
    too_long = await say(app, telegram_api, ADMIN_ID, "/broadcast " + "x" * 3501)
    assert "at most 3500 characters" in too_long
    await say(app, telegram_api, ADMIN_ID, "/broadcast never mind")
    preview = telegram_api.messages(ADMIN_ID)[-1]
    assert await press(app, telegram_api, ADMIN_ID, preview, buttons(preview)["Cancel"]) == (
        "Cancelled."
    )
    shown = telegram_api.messages(ADMIN_ID)[-1]["text"]
    assert shown == "Broadcast #1 cancelled: nothing was sent."
    late = await press(app, telegram_api, ADMIN_ID, preview, buttons(preview)["Confirm"])
    assert "cancelled already" in late
    forged = await press(app, telegram_api, ADMIN_ID, preview, "abc:send:999")
    assert "No such broadcast" in forged
    async with app.db.session() as session:
        assert list(await session.scalars(select(OutboxMessage.id))) == []
