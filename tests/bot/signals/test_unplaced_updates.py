"""Updates the bot cannot place go to the source's owner, through the real dispatcher: a card
listing the open signals as buttons and Ignore; a press links and applies the update (once,
however often pressed), only the owner's press counts, and both answers are audited. A reply
read below the confidence threshold waits for the owner the same way."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry, Signal, SignalEvent
from core.domain import SignalStatus
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory, drain_outbox, feed
from tests.bot.signals.test_intake import (
    CHANNEL,
    ETH_ENTRY,
    OWNER_ID,
    STRANGER_ID,
    button_data,
    follow,
    outbox_to,
    post,
    register,
    reply_post,
    rows,
)
from tests.fakes.telegram_api import FakeTelegramAPI

BTC = "BTC/USDT LONG\nEntry: 87000-88000\nTP1: 90000\nTP2: 92000\nSL: 85000"
SOL = "SOL/USDT SHORT\nEntry: 150\nTP1: 140\nTP2: 130\nSL: 160"


async def owner_card(app: App, telegram_api: FakeTelegramAPI) -> dict[str, Any]:
    """The last message with buttons the owner got (the outbox sent first)."""
    await drain_outbox(app)
    return [m for m in telegram_api.messages(OWNER_ID) if "reply_markup" in m][-1]


async def audit(app: App) -> list[AuditEntry]:
    async with app.db.session() as session:
        stmt = select(AuditEntry).where(AuditEntry.action.like("signal_update_%"))
        return list(await session.scalars(stmt.order_by(AuditEntry.id)))


async def test_tp_hit_with_three_open_signals_is_linked_by_the_owner_once(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    for text in (BTC, ETH_ENTRY, SOL):
        await post(app, telegram_api, text)
    await post(app, telegram_api, "TP1 hit")
    [event] = await rows(app, SignalEvent)
    assert event.signal_id is None
    btc, eth, sol = await rows(app, Signal)
    card = await owner_card(app, telegram_api)
    assert "could not place: it names no pair and replies to no signal" in card["text"]
    assert "Read as: target 1 hit" in card["text"]
    buttons = button_data(card)
    assert list(buttons) == [
        f"Link to #{sol.id} SOL/USDT",
        f"Link to #{eth.id} ETH/USDT",
        f"Link to #{btc.id} BTC/USDT",
        "Ignore",
    ]
    press = buttons[f"Link to #{eth.id} ETH/USDT"]
    await feed(app, telegram_api.updates.callback(STRANGER_ID, card, press))
    assert "not yours" in telegram_api.last("answerCallbackQuery")["text"]
    assert [s.targets_hit for s in await rows(app, Signal)] == [0, 0, 0]
    for _ in range(2):  # pressed twice: applied once
        await feed(app, telegram_api.updates.callback(OWNER_ID, card, press))
    assert telegram_api.last("answerCallbackQuery")["text"].startswith("Already done")
    assert [s.targets_hit for s in await rows(app, Signal)] == [0, 1, 0]
    [event] = await rows(app, SignalEvent)
    assert (event.signal_id, event.linked_by) == (eth.id, "owner")
    assert "Linked to signal" in telegram_api.last("editMessageText")["text"]
    notes = [m.text for m in await outbox_to(app, TRADER_ID) if "target 1 hit" in m.text]
    assert len(notes) == 1 and "ETH/USDT" in notes[0]
    [entry] = await audit(app)
    assert entry.action == "signal_update_linked" and entry.details["signal_id"] == eth.id


async def test_cancel_or_close_half_with_no_matching_signal_goes_to_the_owner(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await post(app, telegram_api, BTC)
    for text in ("cancel the ETH signal", "SOL close half"):
        await post(app, telegram_api, text)
        card = await owner_card(app, telegram_api)
        assert "could not place" in card["text"] and text in card["text"]
        await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Ignore"]))
        assert telegram_api.last("answerCallbackQuery")["text"] == "Ignored."
    assert [e.details["placed"] for e in await rows(app, SignalEvent)] == ["ignored"] * 2
    [btc] = await rows(app, Signal)
    assert btc.status is SignalStatus.ACTIVE  # nothing was guessed
    assert [a.action for a in await audit(app)] == ["signal_update_ignored"] * 2


async def test_a_reply_read_below_the_threshold_waits_for_the_owner(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(ai={"parser_threshold": 0.95})
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    await post(app, telegram_api, ETH_ENTRY)
    btc_post = await post(app, telegram_api, BTC)
    [_eth, btc] = await rows(app, Signal)
    # both entries read at 100 %: live; the reply reads at 75 %: held for the owner
    await reply_post(app, telegram_api, "SL moved to 88200", btc_post)
    [btc] = await rows(app, Signal, Signal.id == btc.id)
    assert btc.stop_loss == Decimal(85000)
    assert not [m for m in await outbox_to(app, TRADER_ID) if "Update</b>" in m.text]
    card = await owner_card(app, telegram_api)
    assert "below the confidence threshold" in card["text"]
    assert "Read as: stop loss moved to 88,200" in card["text"]
    first = next(iter(button_data(card)))
    assert first == f"Link to #{btc.id} BTC/USDT"  # the replied-to signal first
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)[first]))
    [btc] = await rows(app, Signal, Signal.id == btc.id)
    assert btc.stop_loss == Decimal(88200) and btc.status is SignalStatus.ACTIVE


async def test_a_forwarded_update_nobody_can_place_tells_the_forwarder(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await post(app, telegram_api, BTC)
    await post(app, telegram_api, ETH_ENTRY)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", "TP2 hit", 90))
    notes = [m["text"] for m in telegram_api.messages(OWNER_ID)]
    assert any("the channel's owner is asked to link it" in n for n in notes)
    card = await owner_card(app, telegram_api)
    assert "could not place" in card["text"]


async def test_the_owners_card_and_answers_escape_the_post(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """The fake Bot API rejects bad HTML: a hostile update post still reaches the owner, is
    shown as written, and the linked note reaches the follower."""
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    await post(app, telegram_api, BTC)
    await post(app, telegram_api, ETH_ENTRY)
    hostile = "<b>TP1</b> hit & <script>alert(1)</script> <i"
    await post(app, telegram_api, hostile)
    card = await owner_card(app, telegram_api)
    assert hostile in card["text"]  # the entities parsed back to the post's own text
    first = next(iter(button_data(card)))
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)[first]))
    await drain_outbox(app)
    assert "target 1 hit" in telegram_api.messages(TRADER_ID)[-1]["text"]
    assert "Linked to signal" in telegram_api.last("editMessageText")["text"]


async def test_two_presses_at_once_apply_the_update_once(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """The event row is locked: two presses landing together link and apply it once."""
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    await post(app, telegram_api, BTC)
    await post(app, telegram_api, ETH_ENTRY)
    await post(app, telegram_api, "TP1 hit")
    card = await owner_card(app, telegram_api)
    press = next(iter(button_data(card).values()))
    await asyncio.gather(
        *(feed(app, telegram_api.updates.callback(OWNER_ID, card, press)) for _ in range(2))
    )
    assert sorted(s.targets_hit for s in await rows(app, Signal)) == [0, 1]
    assert len(await audit(app)) == 1
    notes = [m.text for m in await outbox_to(app, TRADER_ID) if "target 1 hit" in m.text]
    assert len(notes) == 1


async def test_an_unowned_sources_update_goes_to_the_admins(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """Without an owner the bot admins decide; a trader who is neither cannot."""
    telegram_api.api.add_chat(CHANNEL, "channel", title="Alpha")
    telegram_api.api.set_member(CHANNEL, STRANGER_ID, "member")
    await register(app, telegram_api, owner=STRANGER_ID)
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/start"))  # an admin the bot knows
    await post(app, telegram_api, BTC)
    await post(app, telegram_api, ETH_ENTRY)
    await post(app, telegram_api, "TP1 hit")
    await drain_outbox(app)
    [card] = [m for m in telegram_api.messages(ADMIN_ID) if "reply_markup" in m]
    assert "could not place" in card["text"]
    press = next(iter(button_data(card).values()))
    await feed(app, telegram_api.updates.callback(TRADER_ID, card, press))
    assert "not yours" in telegram_api.last("answerCallbackQuery")["text"]
    await feed(app, telegram_api.updates.callback(ADMIN_ID, card, press))
    assert sorted(s.targets_hit for s in await rows(app, Signal)) == [0, 1]
