"""Signal intake end to end: channel posts, forwards, updates, edits, held posts, the card and
its Edit form, following, and the signal commands, through the whole chain to the fake Bot API."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from core.db.models import (
    InboxUpdate,
    OutboxMessage,
    Signal,
    SignalEvent,
    Source,
    Subscription,
)
from core.domain import InboxStatus, Role, SignalStatus, SubscriptionMode
from tests.bot.conftest import (
    ADMIN_ID,
    API_USER_ID,
    TRADER_ID,
    VIEWER_ID,
    AppFactory,
    drain_outbox,
    feed,
)
from tests.fakes.telegram_api import FakeTelegramAPI

CHANNEL = -1001234567890
OTHER_CHANNEL = -1009876543210
OWNER_ID = 5005
STRANGER_ID = 6006
ENTRY = "BTC/USDT LONG\nEntry: 60000-61000\nTP1: 62000\nTP2: 64000\nSL: 58000\nLeverage 10x"
ETH_ENTRY = "ETH/USDT LONG\nEntry: 3000\nTP1: 3100\nTP2: 3200\nSL: 2900"


async def register(
    app: App,
    telegram_api: FakeTelegramAPI,
    chat_id: int = CHANNEL,
    owner: int = OWNER_ID,
    *,
    approve: bool = True,
) -> None:
    """The owner adds the bot to the channel as an administrator; with ``approve`` an admin
    approved it too, so every user sees it (set in the database: the approval itself is tested
    through the dispatcher in tests/bot/registration)."""
    await feed(
        app,
        telegram_api.updates.my_chat_member(
            chat_id, owner, chat_type="channel", title=f"Alpha {chat_id}"
        ),
    )
    if approve:
        async with app.db.transaction() as session:
            await session.execute(
                update(Source).where(Source.chat_id == chat_id).values(approved=True)
            )


async def rows(app: App, model: Any, *where: Any) -> list[Any]:
    async with app.db.session() as session:
        return list(await session.scalars(select(model).where(*where).order_by(model.id)))


async def outbox_to(app: App, telegram_id: int) -> list[OutboxMessage]:
    return await rows(app, OutboxMessage, OutboxMessage.chat_id == telegram_id)


async def post(
    app: App, telegram_api: FakeTelegramAPI, text: str, **kwargs: Any
) -> dict[str, Any]:
    update = telegram_api.updates.channel_post(CHANNEL, text, **kwargs)
    await feed(app, update)
    return update


async def reply_post(
    app: App, telegram_api: FakeTelegramAPI, text: str, reply_to: dict[str, Any]
) -> None:
    update = telegram_api.updates.channel_post(CHANNEL, text)
    update["channel_post"]["reply_to_message"] = dict(reply_to["channel_post"])
    await feed(app, update)


async def follow(app: App, telegram_api: FakeTelegramAPI, user_id: int, args: str = "1") -> str:
    await feed(app, telegram_api.updates.message(user_id, f"/follow {args}"))
    return str(telegram_api.last("sendMessage")["text"])


def button_data(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def last_text(telegram_api: FakeTelegramAPI, chat_id: int) -> str:
    return str(telegram_api.messages(chat_id)[-1]["text"])


# -- sources ------------------------------------------------------------------------------------


async def test_bot_added_to_channel_registers_a_source_with_its_owner(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    [source] = await rows(app, Source)
    assert (source.chat_id, source.title, source.verified, source.is_active) == (
        CHANNEL,
        f"Alpha {CHANNEL}",
        True,
        True,
    )
    owner = await app.users.get(OWNER_ID)
    assert owner is not None and source.owner_user_id == owner.id
    [note] = await outbox_to(app, OWNER_ID)
    assert "you are its owner" in note.text
    assert telegram_api.calls_of("getChatMember")[-1]["user_id"] == OWNER_ID


async def test_bot_added_by_a_non_admin_registers_an_unowned_source(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.api.add_chat(CHANNEL, "channel", title="Alpha")
    telegram_api.api.set_member(CHANNEL, STRANGER_ID, "member")
    await register(app, telegram_api, owner=STRANGER_ID)
    [source] = await rows(app, Source)
    assert source.owner_user_id is None and not source.verified
    assert await outbox_to(app, STRANGER_ID) == []


async def test_bot_removed_from_channel_stops_reading_it(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(
        app,
        telegram_api.updates.my_chat_member(
            CHANNEL, OWNER_ID, new_status="left", old_status="administrator"
        ),
    )
    [source] = await rows(app, Source)
    assert not source.is_active
    await post(app, telegram_api, ENTRY)
    assert await rows(app, Signal) == []


async def test_admin_adds_a_source_by_username_and_others_may_not(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.api.add_chat(OTHER_CHANNEL, "channel", title="Beta", username="beta_calls")
    await feed(app, telegram_api.updates.message(TRADER_ID, "/source add @beta_calls"))
    assert "not allowed" in await last_text(telegram_api, TRADER_ID)
    assert await rows(app, Source) == []
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/source add @beta_calls"))
    assert "is a signal source now" in await last_text(telegram_api, ADMIN_ID)
    [source] = await rows(app, Source)
    assert (source.chat_id, source.username, source.verified) == (
        OTHER_CHANNEL,
        "beta_calls",
        True,
    )
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/source add @nobody_here"))
    assert "cannot see that channel" in await last_text(telegram_api, ADMIN_ID)
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/source add <b>"))
    assert "@username" in await last_text(telegram_api, ADMIN_ID)
    assert len(await rows(app, Source)) == 1


# -- channel posts ------------------------------------------------------------------------------


async def test_channel_post_becomes_one_signal_however_often_delivered(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    first = await post(app, telegram_api, ENTRY)
    message_id = first["channel_post"]["message_id"]
    await post(app, telegram_api, ENTRY, message_id=message_id)  # a new update, same post
    [signal] = await rows(app, Signal)
    assert (signal.chat_id, signal.message_id, signal.status) == (
        CHANNEL,
        message_id,
        SignalStatus.ACTIVE,
    )
    assert (signal.base, signal.quote, signal.side.value) == ("BTC", "USDT", "long")
    assert signal.entry_low == Decimal(60000) and signal.entry_high == Decimal(61000)
    assert signal.targets == ["62000", "64000"] and signal.stop_loss == Decimal(58000)
    assert signal.raw_text == ENTRY and len(signal.text_sha256) == 64
    assert signal.first_seen_at is not None and signal.is_tracked
    assert telegram_api.calls_of("sendMessage") == []  # nobody to answer in a channel


async def test_posts_in_unregistered_channels_and_chatter_are_ignored(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.channel_post(OTHER_CHANNEL, ENTRY))
    await register(app, telegram_api)
    await post(app, telegram_api, "Good morning traders! ☕")
    assert await rows(app, Signal) == [] and await rows(app, SignalEvent) == []


BAD_POSTS = [
    "",
    " \u200b\u200c ",
    "x" * 4096,
    "🚀" * 2000,
    " ".join(str(n) for n in range(900)),
    "<b>BTC</b> & <script>alert(1)</script> long entry 100 tp 110 sl 90",
    "SOL\u200b/USDT short\u200d entry 150 tp 140 sl 160",
]


@pytest.mark.parametrize(
    "text", BAD_POSTS, ids=["empty", "zw", "4096", "emoji", "numbers", "html", "zw-entry"]
)
async def test_odd_posts_never_fail(app: App, telegram_api: FakeTelegramAPI, text: str) -> None:
    await register(app, telegram_api)
    await post(app, telegram_api, text)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", text, 77))
    inbox = await rows(app, InboxUpdate)
    assert all(r.status is InboxStatus.DONE for r in inbox), [r.error for r in inbox]
    replies = [c["text"] for c in telegram_api.calls_of("sendMessage")]
    assert len(replies) == 1 and "Something went wrong" not in replies[0]
    assert "<script>" not in replies[0]


# -- forwards -----------------------------------------------------------------------------------


async def test_forward_by_channel_admin_is_the_channels_signal_once(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    for _ in range(2):
        await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", ENTRY, 41))
    [signal] = await rows(app, Signal)
    assert (signal.chat_id, signal.message_id, signal.is_tracked) == (CHANNEL, 41, True)
    assert signal.status is SignalStatus.PENDING  # until the admin presses Track
    first, second = [m for m in telegram_api.messages(OWNER_ID) if "reply_markup" in m]
    assert f"Signal #{signal.id} BTC/USDT long" in first["text"]
    assert "Confidence: 100%" in first["text"] and "Not tracked" not in first["text"]
    assert set(button_data(first)) == {"Track", "Edit", "Ignore"}
    assert "Already received" in second["text"]


async def test_forward_by_non_admin_is_a_private_untracked_signal(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(STRANGER_ID, CHANNEL, "Alpha", ENTRY, 41))
    [signal] = await rows(app, Signal)
    assert not signal.is_tracked and signal.source_id is None
    assert signal.chat_id == STRANGER_ID  # never the channel's post key
    text = await last_text(telegram_api, STRANGER_ID)
    assert "Not tracked" in text and "only the channel's admins" in text
    # the real post later still becomes the channel's own signal
    await post(app, telegram_api, ENTRY, message_id=41)
    assert len(await rows(app, Signal, Signal.is_tracked.is_(True))) == 1


async def test_forward_older_than_the_window_is_private(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    old = int(time.time()) - 73 * 3600
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", ENTRY, 41, old))
    [signal] = await rows(app, Signal)
    assert not signal.is_tracked
    assert "older than 72 h" in await last_text(telegram_api, OWNER_ID)


async def test_forward_from_unregistered_channel_and_plain_copy_are_private(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    app = app
    await feed(app, telegram_api.updates.forward(ADMIN_ID, OTHER_CHANNEL, "Beta", ENTRY, 5))
    assert "not a registered source" in await last_text(telegram_api, ADMIN_ID)
    await feed(app, telegram_api.updates.message(TRADER_ID, ENTRY))
    text = await last_text(telegram_api, TRADER_ID)
    assert "Private signal" in text and "copy without a channel origin" in text
    assert [s.is_tracked for s in await rows(app, Signal)] == [False, False]


async def test_bot_admin_forward_counts_without_channel_admin_rights(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(ADMIN_ID, CHANNEL, "Alpha", ENTRY, 9))
    [signal] = await rows(app, Signal)
    assert signal.is_tracked and signal.chat_id == CHANNEL


async def test_forwarded_chatter_is_not_a_signal(app: App, telegram_api: FakeTelegramAPI) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", "gm all", 3))
    assert "not a signal" in await last_text(telegram_api, OWNER_ID)
    assert await rows(app, Signal) == []


async def test_channel_admin_check_is_cached(app: App, telegram_api: FakeTelegramAPI) -> None:
    await register(app, telegram_api)
    calls = len(telegram_api.calls_of("getChatMember"))
    for message_id in (1, 2, 3):
        await feed(
            app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", ENTRY, message_id)
        )
    assert len(telegram_api.calls_of("getChatMember")) == calls  # known from registration
    for message_id in (4, 5):
        await feed(
            app, telegram_api.updates.forward(STRANGER_ID, CHANNEL, "Alpha", ENTRY, message_id)
        )
    assert len(telegram_api.calls_of("getChatMember")) == calls + 1


# -- updates ------------------------------------------------------------------------------------


async def test_reply_update_is_linked_to_its_signal_and_changes_status(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    btc = await post(app, telegram_api, ENTRY)
    await post(app, telegram_api, ETH_ENTRY)
    await reply_post(app, telegram_api, "TP1 hit ✅", btc)
    btc_signal, eth_signal = await rows(app, Signal)
    [event] = await rows(app, SignalEvent)
    assert (event.signal_id, event.kind, event.linked_by, event.target_index) == (
        btc_signal.id,
        "tp_hit",
        "reply",
        1,
    )
    assert event.raw_text == "TP1 hit ✅" and len(event.text_sha256) == 64
    assert btc_signal.targets_hit == 1 and eth_signal.targets_hit == 0
    await reply_post(app, telegram_api, "Stop loss hit", btc)
    [btc_signal] = await rows(app, Signal, Signal.id == btc_signal.id)
    assert btc_signal.status is SignalStatus.STOPPED and btc_signal.closed_at is not None


async def test_update_by_pair_links_only_a_single_open_match(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await post(app, telegram_api, ETH_ENTRY)
    await post(app, telegram_api, "ETH/USDT Target 2 reached")
    [eth] = await rows(app, Signal)
    [event] = await rows(app, SignalEvent)
    assert (event.signal_id, event.linked_by) == (eth.id, "pair")
    assert eth.targets_hit == 2
    await post(app, telegram_api, ETH_ENTRY.replace("3000", "3050"))  # a second open ETH signal
    await post(app, telegram_api, "ETH/USDT Target 3 reached")
    unlinked = (await rows(app, SignalEvent))[-1]
    assert unlinked.signal_id is None and unlinked.linked_by is None
    assert unlinked.details["candidates"] == 2
    await post(app, telegram_api, "TP1 hit")  # no pair, no reply: never guessed
    assert (await rows(app, SignalEvent))[-1].signal_id is None


# -- edits --------------------------------------------------------------------------------------


async def test_edit_before_a_trade_changes_the_signal(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    original = await post(app, telegram_api, ENTRY)
    message_id = original["channel_post"]["message_id"]
    edited = ENTRY.replace("SL: 58000", "SL: 59000")
    update = telegram_api.updates.edited_channel_post(CHANNEL, message_id, edited)
    await feed(app, update)
    await feed(app, {**update, "update_id": update["update_id"] + 1000})  # delivered again
    [signal] = await rows(app, Signal)
    assert signal.stop_loss == Decimal(59000) and signal.edit_count == 1
    assert signal.raw_text == ENTRY  # the post as first seen; the edit keeps its own text
    [event] = await rows(app, SignalEvent)
    assert event.kind == "edit" and event.details["applied"] is True
    assert event.details["changes"] == {"stop_loss": "58000 -> 59000"}
    assert event.raw_text == edited


# -- held posts and the card --------------------------------------------------------------------


async def test_low_confidence_post_is_held_until_the_owner_tracks_it(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(ai={"parser_threshold": 0.95})
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID)
    await post(app, telegram_api, "ETH short entry 3000 sl 3100")  # confidence 0.9
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.HELD
    assert await outbox_to(app, TRADER_ID) == []  # not acted on until confirmed
    [_registered, held] = await outbox_to(app, OWNER_ID)
    assert "below 95%" in held.text and "Targets: <b>-</b> ❌ missing" in held.text
    await drain_outbox(app)
    card = telegram_api.messages(OWNER_ID)[-1]
    data = button_data(card)
    await feed(app, telegram_api.updates.callback(STRANGER_ID, card, data["Track"]))
    assert "not yours" in telegram_api.last("answerCallbackQuery")["text"]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, data["Track"]))
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE and signal.activated_at is not None
    assert "Status: active" in telegram_api.last("editMessageText")["text"]
    [alert] = await outbox_to(app, TRADER_ID)
    assert "New signal" in alert.text and f"/signal {signal.id}" in alert.text


async def test_ignore_sets_a_held_signal_aside(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(ai={"parser_threshold": 0.95})
    await register(app, telegram_api)
    await post(app, telegram_api, "ETH short entry 3000 sl 3100")
    await drain_outbox(app)
    card = telegram_api.messages(OWNER_ID)[-1]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Ignore"]))
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.IGNORED


async def test_edit_form_walks_the_fields_and_validates(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", ENTRY, 41))
    card = telegram_api.messages(OWNER_ID)[-1]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Edit"]))
    assert "send the pair" in await last_text(telegram_api, OWNER_ID)
    answers = [
        ("-", "send the side"),
        ("sideways", "long or short"),  # refused, asked again
        ("-", "send the entry"),
        ("60500", "send the targets"),
        ("62000 64000 66000", "send the stop loss"),
        ("-", "send the leverage"),
        ("5x", "Saved."),
    ]
    for text, expected in answers:
        await feed(app, telegram_api.updates.message(OWNER_ID, text))
        assert expected in await last_text(telegram_api, OWNER_ID), text
    [signal] = await rows(app, Signal)
    assert signal.entry_low == signal.entry_high == Decimal(60500)
    assert signal.targets == ["62000", "64000", "66000"] and signal.leverage == Decimal(5)
    assert signal.stop_loss == Decimal(58000) and signal.edit_count == 1
    assert signal.fields_meta["origins"]["entry"] == "edited"
    assert "✏️ edited" in await last_text(telegram_api, OWNER_ID)


async def test_edit_form_refuses_levels_on_the_wrong_side_and_cancel_leaves(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", ENTRY, 41))
    card = telegram_api.messages(OWNER_ID)[-1]
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Edit"]))
    for text in ("-", "-", "-", "-", "70000", "-"):
        await feed(app, telegram_api.updates.message(OWNER_ID, text))
    assert "stop loss must be below the entry" in await last_text(telegram_api, OWNER_ID)
    [signal] = await rows(app, Signal)
    assert signal.stop_loss == Decimal(58000) and signal.edit_count == 0
    await feed(app, telegram_api.updates.callback(OWNER_ID, card, button_data(card)["Edit"]))
    await feed(app, telegram_api.updates.message(OWNER_ID, "/cancel"))
    assert await last_text(telegram_api, OWNER_ID) == "Cancelled."


# -- following and the commands -----------------------------------------------------------------


async def test_followers_are_notified_once_of_signals_and_linked_updates(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    assert "You follow" in await follow(app, telegram_api, TRADER_ID)
    await follow(app, telegram_api, VIEWER_ID, f"{CHANNEL}")
    btc = await post(app, telegram_api, ENTRY)
    await post(app, telegram_api, ENTRY, message_id=btc["channel_post"]["message_id"])
    await reply_post(app, telegram_api, "TP1 hit", btc)
    for user_id in (TRADER_ID, VIEWER_ID):
        alerts = await outbox_to(app, user_id)
        assert [("New signal" in a.text, "target 1 hit" in a.text) for a in alerts] == [
            (True, False),
            (False, True),
        ], user_id
    await feed(app, telegram_api.updates.message(TRADER_ID, "/unfollow 1"))
    await post(app, telegram_api, ETH_ENTRY)
    assert len(await outbox_to(app, TRADER_ID)) == 2
    assert len(await outbox_to(app, VIEWER_ID)) == 3


async def test_follow_arguments_are_checked(app: App, telegram_api: FakeTelegramAPI) -> None:
    await register(app, telegram_api)
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    bad = {
        "": "Usage",
        "99": "No such source",
        # issue 9: "/follow 1 auto" takes the default size now; a size is checked when given
        "1 auto 0.5": "under the minimum order of 1 USDT",
        "1 auto 20000": "more than the 10000 USDT free",
        "1 auto -5": "positive number",
        "1 auto lots": "positive number",
        "1 sometimes": "notify (default) or auto",
    }
    for args, expected in bad.items():
        assert expected in await follow(app, telegram_api, TRADER_ID, args), args
    assert "trader role" in await follow(app, telegram_api, VIEWER_ID, "1 auto 50")
    assert await rows(app, Subscription) == []
    assert "auto mode: 50.00 USDT" in await follow(app, telegram_api, TRADER_ID, "1 auto 50")
    [sub] = await rows(app, Subscription)
    assert sub.mode is SubscriptionMode.AUTO and sub.order_size_quote == Decimal(50)


async def test_signal_commands_show_followed_signals_and_respect_roles(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    for telegram_id, role in (
        (VIEWER_ID, Role.VIEWER),
        (API_USER_ID, Role.API_USER),
    ):
        await app.users.grant_role(None, telegram_id, role)
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/signals"))
    assert "No signals yet" in await last_text(telegram_api, VIEWER_ID)
    await follow(app, telegram_api, VIEWER_ID)
    btc = await post(
        app, telegram_api, "<i>BTC</i>/USDT LONG\nEntry: 60000\nTP1: 62000\nSL: 58000"
    )
    await reply_post(app, telegram_api, "TP1 hit", btc)
    [signal] = await rows(app, Signal)
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/signals"))
    listing = await last_text(telegram_api, VIEWER_ID)
    assert f"#{signal.id} BTC/USDT long" in listing and "1/1 targets hit" in listing
    await feed(app, telegram_api.updates.message(VIEWER_ID, f"/signal {signal.id}"))
    detail = await last_text(telegram_api, VIEWER_ID)
    assert "Events" in detail and "target 1 hit" in detail and "linked by reply" in detail
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/signal abc"))
    assert "Usage: /signal" in await last_text(telegram_api, VIEWER_ID)
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/signal 999"))
    assert "No signal #999" in await last_text(telegram_api, VIEWER_ID)
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/sources"))
    sources = await last_text(telegram_api, VIEWER_ID)
    assert f"1. Alpha {CHANNEL}" in sources and "1 follower · 1 signal" in sources
    await feed(app, telegram_api.updates.message(API_USER_ID, "/sources"))
    assert "not allowed" in await last_text(telegram_api, API_USER_ID)
    await feed(app, telegram_api.updates.message(API_USER_ID, "/follow 1"))
    assert "not allowed" in await last_text(telegram_api, API_USER_ID)


async def test_private_signals_are_their_owners_only(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    app = app
    await feed(app, telegram_api.updates.message(TRADER_ID, ENTRY))
    [signal] = await rows(app, Signal)
    await feed(app, telegram_api.updates.message(STRANGER_ID, f"/signal {signal.id}"))
    assert f"No signal #{signal.id}" in await last_text(telegram_api, STRANGER_ID)
    await feed(app, telegram_api.updates.message(TRADER_ID, f"/signal {signal.id}"))
    assert "Private signal" in await last_text(telegram_api, TRADER_ID)
    card = [m for m in telegram_api.messages(TRADER_ID) if "reply_markup" in m][0]
    await feed(app, telegram_api.updates.callback(STRANGER_ID, card, button_data(card)["Track"]))
    assert "not yours" in telegram_api.last("answerCallbackQuery")["text"]
    await feed(app, telegram_api.updates.callback(TRADER_ID, card, button_data(card)["Track"]))
    [signal] = await rows(app, Signal)
    assert signal.status is SignalStatus.ACTIVE and not signal.is_tracked


async def test_commands_do_not_touch_state_for_unknown_sources(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, "/unfollow @ghost_channel"))
    assert "No such source" in await last_text(telegram_api, TRADER_ID)
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 0


async def test_pasted_post_reaches_the_signals_feature_as_wired(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, ENTRY))
    assert "Private signal" in await last_text(telegram_api, TRADER_ID)
