"""Update posts applied to their signal through the real dispatcher: a stop move changes the
signal's stop (its card, /signal, the followers' note and plans) and never closes it; a
take-profit past the last target, and "all targets achieved", say what they count; a side
inferred from targets and stop says so on the card; a live signal takes no edit read below
the confidence threshold."""

from __future__ import annotations

from decimal import Decimal

from bot.app import App
from core.db.models import Signal, SignalEvent
from core.domain import SignalStatus
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.plans.helpers import plans_of
from tests.bot.signals.test_intake import (
    CHANNEL,
    OWNER_ID,
    button_data,
    follow,
    last_text,
    outbox_to,
    post,
    register,
    reply_post,
    rows,
)
from tests.bot.signals.test_unplaced_updates import owner_card
from tests.fakes.telegram_api import FakeTelegramAPI

BTC = "BTC/USDT LONG\nEntry: 87000-88000\nTP1: 90000\nTP2: 92000\nSL: 85000"
STATIC = {"price_feed": "static", "static_prices": {"BTC/USDT": "89000"}}


async def signal_card(app: App, telegram_api: FakeTelegramAPI, signal_id: int) -> str:
    await feed(app, telegram_api.updates.message(TRADER_ID, f"/signal {signal_id}"))
    return await last_text(telegram_api, TRADER_ID)


async def test_sl_moved_moves_the_stop_and_never_closes_the_signal(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """The issue's reply: the signal stays active with its stop at 88,200, the follower is told
    of a move (not a stop hit), and the auto follower's plan stop moves to the same price."""
    app = await make_app(exchange=STATIC, limits={"rate_limit_burst": 1000})
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID, "1 auto 50")
    entry = await post(app, telegram_api, BTC)
    await reply_post(app, telegram_api, "SL moved to 88200", entry)
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE and signal.closed_at is None
    assert signal.stop_loss == Decimal(88200)
    [event] = await rows(app, SignalEvent)
    assert (event.kind, event.signal_id, event.linked_by) == ("move_sl", signal.id, "reply")
    assert event.details["changes"] == {"stop_loss": "85000 -> 88200"}
    [note] = [m.text for m in await outbox_to(app, TRADER_ID) if "Update</b> on" in m.text]
    assert "stop loss moved" in note and "stop loss hit" not in note
    assert "Status: active" in note
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.stop_price == Decimal(88200)
    card = await signal_card(app, telegram_api, signal.id)
    assert "Stop loss: 88,200 🔁 moved by the channel" in card
    assert "stop loss moved: stop_loss 85000 -> 88200" in card


async def test_new_sl_and_move_to_entry_change_the_stored_stop_and_card(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    entry = await post(app, telegram_api, BTC)
    await reply_post(app, telegram_api, "New SL: 86000", entry)
    [signal] = await rows(app, Signal)
    assert signal.stop_loss == Decimal(86000) and signal.status is SignalStatus.ACTIVE
    await reply_post(app, telegram_api, "Move SL to entry", entry)
    [signal] = await rows(app, Signal)
    assert signal.stop_loss == Decimal(87500)  # the middle of the zone 87,000 - 88,000
    assert signal.status is SignalStatus.ACTIVE
    moved = (await rows(app, SignalEvent))[-1]
    assert moved.details["to_entry"] is True
    card = await signal_card(app, telegram_api, signal.id)
    assert "Stop loss: 87,500 🔁 moved to entry (the middle of the entry zone)" in card
    assert "stop loss moved to entry: stop_loss 86000 -> 87500" in card


async def test_move_to_entry_of_a_market_entry_says_it_has_no_price(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    entry = await post(
        app, telegram_api, "ETH/USDT SHORT\nEntry: market\nTP1: 2900\nTP2: 2800\nSL: 3100"
    )
    await reply_post(app, telegram_api, "Move SL to entry", entry)
    [signal] = await rows(app, Signal)
    assert signal.stop_loss == Decimal(3100) and signal.status is SignalStatus.ACTIVE
    card = await signal_card(app, telegram_api, signal.id)
    assert "no entry price to move the stop to" in card


async def test_a_take_profit_past_the_last_target_counts_as_all_targets(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    entry = await post(app, telegram_api, BTC)
    await reply_post(app, telegram_api, "TP3 hit", entry)
    [signal] = await rows(app, Signal)
    assert signal.targets_hit == 2
    [event] = await rows(app, SignalEvent)
    assert event.target_index == 2 and event.details["reported_index"] == 3
    note = (await outbox_to(app, TRADER_ID))[-1].text
    assert "3/2" not in note and "2/2 targets hit" in note
    assert "TP3 reported; the signal lists 2 targets: all targets hit" in note
    listing_card = await signal_card(app, telegram_api, signal.id)
    assert "3/2" not in listing_card and "2/2 targets hit" in listing_card


async def test_all_targets_achieved_closes_the_signal_with_every_target_hit(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    entry = await post(app, telegram_api, BTC)
    await reply_post(app, telegram_api, "all targets achieved ✅", entry)
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.CLOSED and signal.closed_at is not None
    assert signal.targets_hit == 2
    note = (await outbox_to(app, TRADER_ID))[-1].text
    assert "all targets hit: the signal is closed" in note and "closed, 2/2 targets hit" in note
    assert "closed, 2/2 targets hit" in await signal_card(app, telegram_api, signal.id)


async def test_a_side_inferred_from_targets_and_stop_says_so_on_the_card(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """The parser caps an inferred side's confidence below the threshold: the owner's held
    card says how the side was found, and so does the followers' note once tracked."""
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    await post(app, telegram_api, "#SOL/USDT 124-126 tp 130 sl 118")
    [signal] = await rows(app, Signal)
    assert signal.side is not None and signal.side.value == "long"
    assert signal.status is SignalStatus.HELD
    card = await owner_card(app, telegram_api)
    assert "Side: long ❔ side inferred from targets and stop" in card["text"]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Track"]))
    [alert] = await outbox_to(app, TRADER_ID)
    assert "Side: <b>long</b> ❔ side inferred from targets and stop" in alert.text
    card_text = await signal_card(app, telegram_api, signal.id)
    assert "Side: long ❔ side inferred from targets and stop" in card_text


async def test_a_live_signal_takes_no_edit_read_below_the_threshold(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(ai={"parser_threshold": 0.95})
    await register(app, telegram_api)
    first = await post(app, telegram_api, "ETH short entry 3000 tp 2900 sl 3100")  # 100 %
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE
    message_id = first["channel_post"]["message_id"]
    edited = "ETH short entry 3000 sl 3200"  # read at 90 %: no targets
    await feed(app, telegram_api.updates.edited_channel_post(CHANNEL, message_id, edited))
    [signal] = await rows(app, Signal)
    assert signal.stop_loss == Decimal(3100) and signal.targets == ["2900"]
    [event] = await rows(app, SignalEvent)
    assert event.details["applied"] is False
    assert "below 95%" in event.details["reason"]


async def test_a_take_profit_that_also_moves_the_stop_does_both(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """'TP1 ✅ SL moved to 88200': target 1 counted and the stop moved, each logged once
    (also when delivered again), and the plan's stop moves too."""
    app = await make_app(exchange=STATIC, limits={"rate_limit_burst": 1000})
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID, "1 auto 50")
    entry = await post(app, telegram_api, BTC)
    update = telegram_api.updates.channel_post(CHANNEL, "TP1 ✅ SL moved to 88200")
    update["channel_post"]["reply_to_message"] = dict(entry["channel_post"])
    await feed(app, update)
    await feed(app, {**update, "update_id": update["update_id"] + 1000})  # delivered again
    [signal] = await rows(app, Signal)
    assert (signal.targets_hit, signal.stop_loss) == (1, Decimal(88200))
    assert signal.status is SignalStatus.ACTIVE
    assert [e.kind for e in await rows(app, SignalEvent)] == ["tp_hit", "move_sl"]
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.stop_price == Decimal(88200)


async def test_followers_hear_nothing_of_an_update_to_a_held_signal(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    held = await post(app, telegram_api, "BTC long 88000")  # a short entry: held
    await reply_post(app, telegram_api, "TP1 hit", held)
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.HELD and signal.targets_hit == 0
    assert await outbox_to(app, TRADER_ID) == []
