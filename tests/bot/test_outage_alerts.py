"""F4: an outage longer than Telegram keeps updates (24 h) is told to the admins once at start;
a shorter one only logged; a jump in Telegram's update numbering is told too (and nothing is
dropped for it)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.app import App
from core.clock import utc_now
from core.db.models import InboxUpdate, OutboxMessage
from tests.bot.conftest import ADMIN_ID, TRADER_ID, feed
from tests.fakes.telegram_api import FakeTelegramAPI


async def admin_notes(app: App) -> list[str]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == ADMIN_ID)
        )
        return list(rows)


async def age_inbox(app: App, by: timedelta) -> None:
    async with app.db.transaction() as session:
        await session.execute(update(InboxUpdate).values(received_at=utc_now() - by))


async def test_a_long_outage_is_told_once_and_a_short_one_is_not(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    assert await app.report_outage() is False  # an empty inbox: a first start
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    await age_inbox(app, timedelta(hours=3))
    assert await app.report_outage() is False
    assert not [n for n in await admin_notes(app) if "was away" in n]

    await age_inbox(app, timedelta(hours=30))
    await app.on_start()
    await app.on_start()  # a second start for the same outage: told once
    notes = [n for n in await admin_notes(app) if "was away" in n]
    assert len(notes) == 1
    assert "away for 30 h" in notes[0] and "may be lost" in notes[0]


async def test_a_jump_in_update_ids_is_told_and_nothing_is_dropped(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    first = telegram_api.updates.message(TRADER_ID, "/start")
    await feed(app, first)
    await app.inbox.last_seen()  # where the check starts, as at start-up
    jumped = telegram_api.updates.message(TRADER_ID, "/help")
    jumped["update_id"] = first["update_id"] + 5_000_000  # Telegram renumbered
    await feed(app, jumped)
    after = telegram_api.updates.message(TRADER_ID, "/help")
    after["update_id"] = jumped["update_id"] + 1
    await feed(app, after)
    assert await app.report_jumps() == 1
    notes = [n for n in await admin_notes(app) if "numbering jumped" in n]
    assert len(notes) == 1 and str(jumped["update_id"]) in notes[0]
    async with app.db.session() as session:  # the jump dropped nothing: all three handled
        rows = await session.scalars(select(InboxUpdate.status).order_by(InboxUpdate.update_id))
        assert [s.value for s in rows] == ["done", "done", "done"]
