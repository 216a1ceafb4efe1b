"""Short entries ("BTC long 88000", "#SOL buy 124": no targets, no stop) through the real
dispatcher: never live unconfirmed, whatever their confidence; the owner confirms one as a new
signal (Track), links it to an open signal on its pair it restates, or ignores it. A forward of
one is a signal card, not "not a signal"."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry, Signal, SignalEvent
from core.domain import SignalStatus
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.signals.test_intake import (
    CHANNEL,
    OWNER_ID,
    STRANGER_ID,
    button_data,
    follow,
    outbox_to,
    post,
    register,
    rows,
)
from tests.bot.signals.test_unplaced_updates import SOL, owner_card
from tests.fakes.telegram_api import FakeTelegramAPI


async def test_a_short_entry_is_held_until_the_owner_confirms_it(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    await post(app, telegram_api, "BTC long 88000")
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.HELD and signal.base == "BTC"
    assert await outbox_to(app, TRADER_ID) == []  # not broadcast
    card = await owner_card(app, telegram_api)
    assert "A short entry, with no targets and no stop" in card["text"]
    assert set(button_data(card)) == {"Track", "Edit", "Ignore"}  # no open BTC signal
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Track"]))
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE
    [alert] = await outbox_to(app, TRADER_ID)
    assert "New signal" in alert.text


async def test_a_short_entry_restating_an_open_signal_is_linked_to_it_once(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    await post(app, telegram_api, SOL)
    await post(app, telegram_api, "#SOL buy 124")
    sol, short = await rows(app, Signal)
    assert short.status is SignalStatus.HELD
    card = await owner_card(app, telegram_api)
    press = button_data(card)[f"Link to #{sol.id} SOL/USDT"]
    await feed(app, telegram_api.updates.callback(STRANGER_ID, card, press))
    assert "not yours" in telegram_api.last("answerCallbackQuery")["text"]
    for _ in range(2):
        await feed(app, telegram_api.updates.callback(OWNER_ID, card, press))
    assert telegram_api.last("answerCallbackQuery")["text"].startswith("Already done")
    sol, short = await rows(app, Signal)
    assert short.status is SignalStatus.IGNORED and sol.status is SignalStatus.ACTIVE
    [repost] = await rows(app, SignalEvent)
    assert (repost.kind, repost.signal_id, repost.linked_by) == ("repost", sol.id, "owner")
    async with app.db.session() as session:
        [entry] = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "signal_entry_linked")
            )
        )
    assert entry.details["signal_id"] == sol.id
    assert sum("New signal" in a.text for a in await outbox_to(app, TRADER_ID)) == 1


async def test_a_forwarded_short_entry_is_a_signal_card(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", "BTC long 88000", 7))
    card = telegram_api.messages(OWNER_ID)[-1]
    assert "not a signal" not in card["text"]
    assert "BTC" in card["text"] and set(button_data(card)) == {"Track", "Edit", "Ignore"}
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.PENDING


async def test_a_held_entry_on_a_pair_with_an_open_signal_may_be_linked_too(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """A low-confidence entry on a pair with an open signal is held with Link as well."""
    app = await signals_make_app(ai={"parser_threshold": 0.95})
    await register(app, telegram_api)
    await post(app, telegram_api, "ETH short entry 3000 tp 2900 sl 3100")  # 100 %: live
    await post(app, telegram_api, "ETH short entry 3050 sl 3150")  # 90 %: held
    eth, held = await rows(app, Signal)
    assert (eth.status, held.status) == (SignalStatus.ACTIVE, SignalStatus.HELD)
    card = await owner_card(app, telegram_api)
    assert "or link it to the open signal it is about" in card["text"]
    assert list(button_data(card)) == ["Track", "Edit", "Ignore", f"Link to #{eth.id} ETH"]


async def test_a_forwarded_entry_restating_an_open_signal_may_be_linked_to_it(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await post(app, telegram_api, SOL)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", "#SOL buy 124", 7))
    card = telegram_api.messages(OWNER_ID)[-1]
    sol, pending = await rows(app, Signal)
    assert pending.status is SignalStatus.PENDING
    link = f"Link to #{sol.id} SOL/USDT"
    assert list(button_data(card)) == ["Track", "Edit", "Ignore", link]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)[link]))
    sol, pending = await rows(app, Signal)
    assert pending.status is SignalStatus.IGNORED and sol.status is SignalStatus.ACTIVE
    [repost] = await rows(app, SignalEvent)
    assert (repost.signal_id, repost.message_id) == (sol.id, 7)
