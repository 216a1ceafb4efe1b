"""An entry far from the market (issue 11, "confidence that means something"), through the real
dispatcher and the fake Bot API: a channel post whose entry is 27.6 % from its pair's price is
read below the confidence threshold and held for the source owner, whose card says why with the
figures; no follower is told or traded until the owner tracks it. The same post near the market
goes live; with no price for the pair nothing changes. A channel edit is judged the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import Signal, SignalEvent, TradePlan
from core.domain import SignalStatus
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.signals.test_intake import (
    CHANNEL,
    OWNER_ID,
    button_data,
    outbox_to,
    post,
    register,
    rows,
)
from tests.bot.signals.test_unplaced_updates import owner_card
from tests.fakes.telegram_api import FakeTelegramAPI

# a perp signal (10x): compared with BTC/USDT:USDT, which the static feed prices at its spot
FAR = "BTC/USDT LONG\nEntry: 64000\nTP1: 66000\nTP2: 68000\nSL: 62000\nLeverage 10x"
REASON = "entry 64,000 is 27.6 % from the market 88,405"
CHECK_ON = {"entry_far_pct": "10"}  # the default; tests/bot/conftest.py turns it off


def prices(**symbols: str) -> dict[str, Any]:
    return {"price_feed": "static", "static_prices": symbols}


async def far_app(make_app: AppFactory, **symbols: str) -> App:
    return await make_app(
        exchange=prices(**symbols),
        signal_checks=CHECK_ON,
        limits={"rate_limit_burst": 1000, "outbox_chat_per_s": 1000},
    )


async def auto_follower(app: App, telegram_api: FakeTelegramAPI) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 50"))


async def plans(app: App) -> list[TradePlan]:
    return await rows(app, TradePlan)


async def test_an_entry_far_from_the_market_is_held_for_the_owner_with_the_figures(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await far_app(make_app, **{"BTC/USDT": "88405"})
    await register(app, telegram_api)
    await auto_follower(app, telegram_api)
    told_before = len(await outbox_to(app, TRADER_ID))
    await post(app, telegram_api, FAR)
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.HELD
    assert signal.confidence < 0.6  # lowered below the threshold, not just held
    assert len(await outbox_to(app, TRADER_ID)) == told_before  # no follower told...
    assert await plans(app) == []  # ...or traded
    card = await owner_card(app, telegram_api)  # delivered: the fake API parsed its HTML
    assert f"is below 60% ({REASON}): nothing happens until you press Track" in card["text"]
    assert f"Confidence: {signal.confidence:.0%}" in card["text"]
    [sent] = [c for c in telegram_api.calls_of("sendMessage") if REASON in str(c["text"])]
    assert sent["parse_mode"] == "HTML"
    # the owner decides: Track makes it live and followers are told (each follower's risk
    # guard then judges the entry's distance for their own trades)
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Track"]))
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE
    assert any("New signal" in m.text for m in await outbox_to(app, TRADER_ID))


async def test_the_same_post_near_the_market_goes_live(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await far_app(make_app, **{"BTC/USDT": "64500"})
    await register(app, telegram_api)
    await auto_follower(app, telegram_api)
    await post(app, telegram_api, FAR)
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE and signal.confidence >= 0.6
    assert any("New signal" in m.text for m in await outbox_to(app, TRADER_ID))
    [plan] = await plans(app)
    assert plan.signal_id == signal.id


async def test_with_no_price_for_the_pair_nothing_changes(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await far_app(make_app, **{"ETH/USDT": "3000"})  # the feed does not price BTC
    await register(app, telegram_api)
    await post(app, telegram_api, FAR)
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE and signal.confidence >= 0.6
    assert not [m for m in await outbox_to(app, OWNER_ID) if "market" in m.text]


async def test_an_edit_moving_a_live_entry_far_from_the_market_is_not_applied(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await far_app(make_app, **{"BTC/USDT": "64500"})
    await register(app, telegram_api)
    near = await post(app, telegram_api, FAR)
    message_id = near["channel_post"]["message_id"]
    edited = FAR.replace("Entry: 64000", "Entry: 6400")  # a digit lost: 90 % away
    await feed(app, telegram_api.updates.edited_channel_post(CHANNEL, message_id, edited))
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE and signal.entry_low == 64000  # unchanged
    [event] = await rows(app, SignalEvent)
    assert event.details["applied"] is False
    reason = str(event.details["reason"])
    assert reason.endswith("(entry 6,400 is 90.1 % from the market 64,500)"), reason


async def test_a_post_edited_into_a_far_entry_is_held_not_made_live(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await far_app(make_app, **{"BTC/USDT": "88405"})
    await register(app, telegram_api)
    chatter = await post(app, telegram_api, "gm traders, a BTC setup soon")
    message_id = chatter["channel_post"]["message_id"]
    await feed(app, telegram_api.updates.edited_channel_post(CHANNEL, message_id, FAR))
    async with app.db.session() as session:
        [signal] = list(await session.scalars(select(Signal)))
    assert signal.status is SignalStatus.HELD and signal.message_id == message_id
    card = await owner_card(app, telegram_api)
    assert REASON in card["text"]


async def test_a_forwarded_far_entry_shows_its_earned_confidence_and_why(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await far_app(make_app, **{"BTC/USDT": "88405"})
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", FAR, 41))
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.PENDING and signal.confidence < 0.6
    [card] = [m for m in telegram_api.messages(OWNER_ID) if "reply_markup" in m]
    assert f"Confidence: {signal.confidence:.0%}" in card["text"]
    assert f"The {REASON}: check it before you press Track." in card["text"]
