"""A channel posting the same signal twice makes one signal: the copy is recorded and linked to
the first post, never announced or traded again; forwards of a post by two users are one too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.app import App
from core.db.models import Order, OutboxMessage, Signal, SignalEvent, TradePlan
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory, feed
from tests.bot.signals.test_intake import CHANNEL, OWNER_ID, post, register, reply_post, rows
from tests.fakes.telegram_api import FakeTelegramAPI

# a market entry with a wide stop: the auto follower's plan is placed at once, whatever the
# replay feed's price is
SIGNAL = "BTC/USDT LONG\nEntry: market\nTP1: 150000\nTP2: 160000\nSL: 40000"
# the same post as a copy-paste may bring it: other line breaks, case, spaces, a zero-width space
COPY = "btc/usdt long \r\nEntry:  market\u200b\nTP1: 150000\n\nTP2: 160000\nSL: 40000  "


async def counts(app: App) -> dict[str, int]:
    """Signals, trades (orders and plans) and what the follower was sent."""
    async with app.db.session() as session:
        out: dict[str, int] = {}
        for name, model in (("signals", Signal), ("orders", Order), ("plans", TradePlan)):
            out[name] = int(await session.scalar(select(func.count()).select_from(model)) or 0)
        told = select(func.count()).where(OutboxMessage.chat_id == TRADER_ID)
        out["follower_messages"] = int(await session.scalar(told) or 0)
        return out


async def test_the_same_post_twice_is_one_signal_told_and_traded_once(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 50"))
    first = await post(app, telegram_api, SIGNAL)
    once = await counts(app)
    assert once["signals"] == 1 and once["plans"] + once["orders"] >= 1
    copies: list[dict[str, Any]] = []
    for text in (SIGNAL, COPY):
        copies.append(await post(app, telegram_api, text))  # new message ids, same post
    await post(app, telegram_api, COPY, message_id=copies[-1]["channel_post"]["message_id"])
    assert await counts(app) == once  # nothing announced, nothing traded again

    [signal] = await rows(app, Signal)
    assert signal.message_id == first["channel_post"]["message_id"]
    reposts = await rows(app, SignalEvent, SignalEvent.kind == "repost")
    assert sorted(e.message_id for e in reposts) == sorted(
        c["channel_post"]["message_id"] for c in copies
    )
    assert all(e.signal_id == signal.id and e.linked_by == "text" for e in reposts)
    async with app.db.session() as session:
        told = await session.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == TRADER_ID)
        )
        assert sum("New signal" in t for t in told) == 1

    # a reply to the copy reaches the signal the copy repeats
    await reply_post(app, telegram_api, "SL moved to 45000", copies[0])
    [moved] = await rows(app, SignalEvent, SignalEvent.kind != "repost")
    assert moved.signal_id == signal.id and moved.linked_by == "reply"


async def test_a_copy_after_the_window_or_a_different_post_is_a_new_signal(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await post(app, telegram_api, SIGNAL)
    await post(app, telegram_api, SIGNAL.replace("SL: 40000", "SL: 41000"))  # not the same post
    assert len(await rows(app, Signal)) == 2
    async with app.db.transaction() as session:  # both were seen 25 hours ago
        for signal in await session.scalars(select(Signal)):
            signal.first_seen_at -= timedelta(hours=25)
    await post(app, telegram_api, SIGNAL)
    assert len(await rows(app, Signal)) == 3
    assert await rows(app, SignalEvent) == []


async def test_the_window_is_a_setting_and_zero_turns_the_rule_off(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(limits={"signal_duplicate_window_s": 0})
    await register(app, telegram_api)
    await post(app, telegram_api, SIGNAL)
    await post(app, telegram_api, SIGNAL)
    assert len(await rows(app, Signal)) == 2


async def test_forwards_of_one_post_or_its_copy_by_two_users_are_one_signal(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", SIGNAL, 41))
    await feed(app, telegram_api.updates.forward(ADMIN_ID, CHANNEL, "Alpha", SIGNAL, 41))
    await feed(app, telegram_api.updates.forward(ADMIN_ID, CHANNEL, "Alpha", COPY, 42))
    [signal] = await rows(app, Signal)
    assert (signal.chat_id, signal.message_id) == (CHANNEL, 41)
    [repost] = await rows(app, SignalEvent)
    assert (repost.kind, repost.message_id, repost.signal_id) == ("repost", 42, signal.id)
    admin_cards = [m["text"] for m in telegram_api.messages(ADMIN_ID) if "reply_markup" in m]
    assert len(admin_cards) == 2 and all("Already received" in t for t in admin_cards)
