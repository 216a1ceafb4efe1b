"""Stale signals are told, never traded (issue 13 defect 2, issue 9's max signal age): a post
Telegram delivers 20 hours late (a backlog after downtime), an old chatter post edited into an
entry, and a held post tracked after the follower's max age all reach the follower as a signal
with the reason it was not traded; a fresh post is traded."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import Signal
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.plans.helpers import STATIC, notes, plans_of
from tests.bot.signals.test_intake import CHANNEL, OWNER_ID, button_data, register
from tests.fakes.telegram_api import FakeTelegramAPI

HOURS_20 = 20 * 3600


def entry(n: int) -> str:
    return f"BTC/USDT LONG\nEntry: 61000-62000\nTP1: {63000 + n}\nTP2: 65000\nSL: 58000"


def aged(update: dict[str, Any], seconds: int) -> dict[str, Any]:
    """The same update, its post written ``seconds`` earlier."""
    update["channel_post"]["date"] -= seconds
    return update


async def _follower(app: App, telegram_api: FakeTelegramAPI) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 100"))


async def test_a_backlog_post_is_told_not_traded_and_a_fresh_one_is_traded(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await _follower(app, telegram_api)
    await feed(app, aged(telegram_api.updates.channel_post(CHANNEL, entry(1)), HOURS_20))
    assert await plans_of(app, TRADER_ID) == []
    told = await notes(app, TRADER_ID)
    assert "New signal" in told[-2] and "old" in told[-1].lower()
    await feed(app, telegram_api.updates.channel_post(CHANNEL, entry(2)))
    assert len(await plans_of(app, TRADER_ID)) == 1


async def test_an_old_post_edited_into_an_entry_never_trades(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await _follower(app, telegram_api)
    chatter = aged(telegram_api.updates.channel_post(CHANNEL, "gm, big week ahead"), HOURS_20)
    await feed(app, chatter)
    message_id = chatter["channel_post"]["message_id"]
    stored = telegram_api.api.message(CHANNEL, message_id)
    assert stored is not None
    stored["date"] = chatter["channel_post"]["date"]  # Telegram keeps the post's own date
    telegram_api.api.store_message(stored)
    await feed(app, telegram_api.updates.edited_channel_post(CHANNEL, message_id, entry(3)))
    assert await plans_of(app, TRADER_ID) == []
    assert "old" in (await notes(app, TRADER_ID))[-1].lower()


async def test_a_held_post_tracked_after_the_max_age_is_told_not_traded(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(exchange=STATIC, ai={"parser_threshold": 0.95})
    await _follower(app, telegram_api)
    text = "BTC long entry 61500 sl 58000"  # no targets: read at 90 %, held for its owner
    held = aged(telegram_api.updates.channel_post(CHANNEL, text), 1200)
    await feed(app, held)
    assert await app.outbox.flush(limit_s=10) == 0
    card = telegram_api.messages(OWNER_ID)[-1]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Track"]))
    assert await plans_of(app, TRADER_ID) == []  # 20 minutes old: past the 15-minute max age
    assert "old" in (await notes(app, TRADER_ID))[-1].lower()


async def test_a_day_old_forward_by_the_channels_admin_is_tracked_but_not_traded(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """T5: a one-day-old post forwarded now by the channel's admin is the channel's signal
    (under the 72 h window), tracked on Track, and told to followers, never traded."""
    await _follower(app, telegram_api)
    day_old = int(time.time()) - 24 * 3600
    await feed(
        app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", entry(4), 41, day_old)
    )
    card = telegram_api.messages(OWNER_ID)[-1]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Track"]))
    assert await plans_of(app, TRADER_ID) == []
    assert "old" in (await notes(app, TRADER_ID))[-1].lower()


async def test_a_look_alike_channel_with_the_same_title_is_not_the_source(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """T5: a forward from another channel titled exactly like the registered one (a look-alike)
    is never the source's signal: attribution goes by the channel's id, not its title."""
    await _follower(app, telegram_api)
    source_title = telegram_api.api.chat(CHANNEL)["title"]
    look_alike = -1009999999999
    await feed(app, telegram_api.updates.forward(OWNER_ID, look_alike, source_title, entry(5), 7))
    async with app.db.session() as session:
        signals = list(await session.scalars(select(Signal)))
    assert [(s.is_tracked, s.source_id) for s in signals] == [(False, None)]
    assert await plans_of(app, TRADER_ID) == []
    assert "not a registered source" in telegram_api.messages(OWNER_ID)[-1]["text"]
