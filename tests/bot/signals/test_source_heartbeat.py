"""T15: a source silent for too long (the bot lost its admin right, or privacy mode) is told
to its owner and the admins once per silence; every channel post is a sign of life."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.app import App
from core.clock import utc_now
from core.db.models import OutboxMessage, Source
from handlers.signals_render import SignalHtml
from services.source_heartbeat import SourceHeartbeat
from tests.bot.conftest import ADMIN_ID, feed
from tests.bot.signals.test_intake import OWNER_ID, post, register
from tests.fakes.telegram_api import FakeTelegramAPI


async def silent_notes(app: App, telegram_id: int) -> list[str]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage.text).where(
                OutboxMessage.chat_id == telegram_id, OutboxMessage.dedupe_key.like("silent:%")
            )
        )
        return list(rows)


async def age(app: App, **columns: timedelta) -> None:
    async with app.db.transaction() as session:
        await session.execute(
            update(Source).values(**{name: utc_now() - by for name, by in columns.items()})
        )


async def test_a_silent_source_is_told_once_per_silence(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/start"))
    await register(app, telegram_api)
    await post(app, telegram_api, "gm everyone")  # chatter: still a sign of life
    async with app.db.session() as session:
        source = (await session.scalars(select(Source))).one()
    assert source.last_post_at is not None
    heartbeat = SourceHeartbeat(app.db, SignalHtml(), timedelta(hours=24))
    assert await heartbeat.report_silent() == 0

    await age(app, last_post_at=timedelta(hours=30), created_at=timedelta(days=3))
    assert await heartbeat.report_silent() == 2  # the owner and the admin
    assert await heartbeat.report_silent() == 0  # told once
    owner = await silent_notes(app, OWNER_ID)
    assert len(owner) == 1 and "silent for 30 h" in owner[0]
    assert "administrator" in owner[0] and len(await silent_notes(app, ADMIN_ID)) == 1

    await post(app, telegram_api, "BTC looking strong")  # it speaks again...
    assert await heartbeat.report_silent() == 0
    await age(app, last_post_at=timedelta(hours=25))  # ...and falls silent again: told again
    assert await heartbeat.report_silent() == 2
    assert len(await silent_notes(app, OWNER_ID)) == 2


async def test_a_late_redelivery_never_moves_the_heartbeat_back(app: App) -> None:
    heartbeat = SourceHeartbeat(app.db, SignalHtml(), timedelta(hours=24))
    async with app.db.transaction() as session:
        session.add(Source(chat_id=-100777, title="Quiet"))
    async with app.db.session() as session:
        source = (await session.scalars(select(Source))).one()
    now = utc_now()
    await heartbeat.seen(source.id, now)
    await heartbeat.seen(source.id, now - timedelta(hours=2))
    async with app.db.session() as session:
        row = await session.get(Source, source.id)
        assert row is not None and row.last_post_at == now
