"""Output that grows with data (issue 13, defect 8), through the whole chain to the fake Bot API.

A post with hundreds of targets, a held card of such a post, many sources with long titles and
many followed sources, signals and plans: every reply and notification reaches its reader as
messages Telegram accepts (the emulator refuses bad HTML and texts over 4096 characters), long
lists come a page at a time with ◀ ▶ buttons, and a signal keeps at most ``MAX_TARGETS`` targets
and says how many it dropped.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy import select

from bot.app import App
from core.db.models import Signal
from core.domain import Role
from services.signal_dto import SignalDetail
from services.signals.columns import MAX_TARGETS
from services.trade_plans.dto import PlanView
from services.trading_dto import OrderView
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
from tests.unit.render.test_plans_render import plan
from tests.unit.render.views import event, order, signal

CHANNEL = -1001234567890
OWNER_ID = 5005
MANY = 680
MANY_TARGETS = "\n".join(f"TP{i + 1}: {62000 + i}" for i in range(MANY))
BIG_ENTRY = f"BTC/USDT LONG\nEntry: 60000\n{MANY_TARGETS}\nSL: 58000"
# No stop: confidence 0.9, held below a 0.95 threshold.
BIG_HELD = "BTC/USDT LONG\nEntry: 60000\nTargets: " + " - ".join(
    str(62000 + i) for i in range(MANY)
)
LONG_TITLE = "&<b>" + "T" * 124  # 128 characters, with markup to escape
FAILED = "Something went wrong"


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    return await make_app(limits={"rate_limit_burst": 1000, "outbox_chat_per_s": 1000})


async def register(
    app: App,
    telegram_api: FakeTelegramAPI,
    chat_id: int = CHANNEL,
    title: str = "Alpha",
    owner: int = OWNER_ID,
) -> None:
    """``owner`` adds the bot to a channel (an admin's source is approved for every user)."""
    await feed(
        app, telegram_api.updates.my_chat_member(chat_id, owner, chat_type="channel", title=title)
    )


async def signals(app: App) -> list[Signal]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Signal).order_by(Signal.id)))


def texts(telegram_api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [str(m["text"]) for m in telegram_api.messages(chat_id)]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


def dropped_note(kept: int = MAX_TARGETS) -> str:
    return f"{MANY - kept} more targets in the post were dropped"


# -- parsed fields are bounded ------------------------------------------------------------------


async def test_forward_with_hundreds_of_targets_gets_its_card(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """The card of a forward with 680 targets is one message: the first MAX_TARGETS are kept
    and the card says how many were dropped."""
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.forward(OWNER_ID, CHANNEL, "Alpha", BIG_ENTRY, 41))
    [signal] = await signals(app)
    assert signal.targets == [str(62000 + i) for i in range(MAX_TARGETS)]
    card = telegram_api.messages(OWNER_ID)[-1]
    assert "Signal #" in card["text"] and dropped_note() in card["text"]
    assert set(buttons(card)) == {"Track", "Edit", "Ignore"}
    assert not any(FAILED in text for text in texts(telegram_api, OWNER_ID))


async def test_channel_post_with_hundreds_of_targets_reaches_followers(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api, owner=ADMIN_ID)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1"))
    await feed(app, telegram_api.updates.channel_post(CHANNEL, BIG_ENTRY))
    await drain_outbox(app)
    [signal] = await signals(app)
    assert len(signal.targets) == MAX_TARGETS
    alerts = [t for t in texts(telegram_api, TRADER_ID) if "New signal" in t]
    assert len(alerts) == 1 and dropped_note() in alerts[0]


async def test_held_card_of_a_huge_post_reaches_the_owner(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """A held post with 680 targets: the owner gets its card with the Track button."""
    app = await make_app(ai={"parser_threshold": 0.95}, limits={"outbox_chat_per_s": 1000})
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.channel_post(CHANNEL, BIG_HELD))
    await drain_outbox(app)
    cards = [m for m in telegram_api.messages(OWNER_ID) if "below 95%" in m["text"]]
    assert len(cards) == 1
    assert dropped_note() in cards[0]["text"] and "Track" in buttons(cards[0])


# -- lists are paged ----------------------------------------------------------------------------


def source_ids(text: str) -> set[int]:
    return {int(line.split(".", 1)[0]) for line in text.splitlines() if line[:1].isdigit()}


async def test_sources_with_long_titles_are_paged(app: App, telegram_api: FakeTelegramAPI) -> None:
    """30 channels with 128-character titles: /sources shows a page with ◀ ▶, every source
    once over the pages, and any reader may turn them (an API user may not)."""
    for n in range(30):
        await register(app, telegram_api, CHANNEL - n, f"{LONG_TITLE[:-2]}{n:02}", ADMIN_ID)
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    await app.users.grant_role(None, API_USER_ID, Role.API_USER)
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/sources"))
    listing = telegram_api.messages(VIEWER_ID)[-1]
    assert not any(FAILED in text for text in texts(telegram_api, VIEWER_ID))
    assert "&<b>TTT" in listing["text"] and "page 1 of" in listing["text"]
    seen = source_ids(listing["text"])
    assert set(buttons(listing)) == {"▶"}
    next_page = buttons(listing)["▶"]
    await feed(app, telegram_api.updates.callback(API_USER_ID, listing, next_page))
    assert "not allowed" in telegram_api.last("answerCallbackQuery")["text"]
    while "▶" in buttons(listing):
        await feed(app, telegram_api.updates.callback(VIEWER_ID, listing, buttons(listing)["▶"]))
        listing = telegram_api.messages(VIEWER_ID)[-1]
        assert seen.isdisjoint(source_ids(listing["text"]))
        seen |= source_ids(listing["text"])
    assert seen == set(range(1, 31))
    assert "◀" in buttons(listing)


async def test_signals_and_following_are_paged(app: App, telegram_api: FakeTelegramAPI) -> None:
    """A trader following 30 channels with long titles, each with a signal: /following and
    /signals fit a message a page at a time, and the pages reach the oldest."""
    for n in range(30):
        await register(app, telegram_api, CHANNEL - n, f"{LONG_TITLE[:-2]}{n:02}", ADMIN_ID)
        await feed(app, telegram_api.updates.message(TRADER_ID, f"/follow {n + 1}"))
        post = f"BTC/USDT LONG\nEntry: 60000\nTP1: 62000\nSL: {50000 + n}"
        await feed(app, telegram_api.updates.channel_post(CHANNEL - n, post))
    for command in ("/following", "/signals"):
        await feed(app, telegram_api.updates.message(TRADER_ID, command))
        listing = telegram_api.messages(TRADER_ID)[-1]
        assert "page 1 of" in listing["text"], command
        pages = 1
        while "▶" in buttons(listing):
            await feed(
                app, telegram_api.updates.callback(TRADER_ID, listing, buttons(listing)["▶"])
            )
            listing = telegram_api.messages(TRADER_ID)[-1]
            pages += 1
        assert pages > 1, command
    first = (await signals(app))[0]
    assert f"#{first.id} BTC/USDT" in listing["text"]  # the last page reaches the oldest
    assert not any(FAILED in text for text in texts(telegram_api, TRADER_ID))


async def test_forged_page_numbers_are_refused(app: App, telegram_api: FakeTelegramAPI) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/sources"))
    listing = telegram_api.messages(ADMIN_ID)[-1]
    for data in ("pg:sources:-1", "pg:sources:99999999999999999999", "pg:nothing:1"):
        await feed(app, telegram_api.updates.callback(ADMIN_ID, listing, data))
        assert "no longer" in telegram_api.last("answerCallbackQuery")["text"]
    await feed(app, telegram_api.updates.callback(ADMIN_ID, listing, "pg:sources:7"))
    shown = telegram_api.messages(ADMIN_ID)[-1]["text"]
    assert "1. Alpha" in shown  # past the end: the last page


# -- long replies are split ---------------------------------------------------------------------


class ManyRows:
    """Stands in for the trading, plan and signal services: ``COUNT`` rows of everything, with
    long hostile symbols and errors (injected into the update's data, like workflow data)."""

    COUNT = 300
    SYMBOL = "<b>&" + "X" * 40 + "/USDT"

    def orders(self) -> list[OrderView]:
        return [
            order(id=n, symbol=self.SYMBOL, error=f"refused <{n}> & " * 8)
            for n in range(1, self.COUNT + 1)
        ]

    async def open_orders(self, user: Any, symbol: str | None = None) -> list[OrderView]:
        return self.orders()

    async def history(self, user: Any, limit: int = 20) -> list[OrderView]:
        return self.orders()

    async def cancel_all(self, user: Any, symbol: str | None = None) -> list[OrderView]:
        return self.orders()

    async def open_plans(self, user: Any) -> list[PlanView]:
        return [plan(id=n, symbol=self.SYMBOL) for n in range(1, self.COUNT + 1)]

    async def closed_plans(self, user: Any, limit: int = 10) -> list[PlanView]:
        return [plan(id=n, symbol=self.SYMBOL) for n in range(1, limit + 1)]

    async def panic_token(self, user: Any) -> tuple[str, list[PlanView]]:
        return "tok", await self.open_plans(user)

    async def detail(self, user: Any, signal_id: int) -> SignalDetail:
        events = tuple(
            event(id=n, kind="move_sl", details={"changes": {"sl": f"<{n}> & " * 10}})
            for n in range(1, self.COUNT + 1)
        )
        return SignalDetail(signal(id=signal_id, source_name=LONG_TITLE), events)


@pytest.mark.parametrize(
    ("command", "first", "last"),
    [
        pytest.param("/orders", "#1 buy", "/cancel all", id="orders"),
        pytest.param("/history", "Recent orders", "Last closed plans", id="history"),
        pytest.param("/cancel all", "#1", "#300", id="cancel-all"),
        pytest.param("/plans", "Open plans", "Last closed plans", id="plans"),
        pytest.param("/panic", "Close every open plan", "#300", id="panic"),
        pytest.param("/signal 7", "Signal #7", "Events", id="signal-detail"),
    ],
)
async def test_long_replies_come_in_several_messages(
    app: App, telegram_api: FakeTelegramAPI, command: str, first: str, last: str
) -> None:
    """300 rows: the reply is split into messages Telegram accepts, the first and the last
    part shown, the buttons under the last message."""
    fake = ManyRows()
    update = Update.model_validate(
        telegram_api.updates.message(TRADER_ID, command), context={"bot": app.bot}
    )
    await app.dispatcher.feed_update(
        app.bot, update, trading_service=fake, plan_service=fake, signal_service=fake
    )
    await app.inbox.flush()
    sent = texts(telegram_api, TRADER_ID)
    assert not any(FAILED in text for text in sent), sent[-1][:200]
    assert len(sent) > 1 and first in sent[0] and last in "".join(sent)
    assert all("reply_markup" not in m for m in telegram_api.messages(TRADER_ID)[:-1])
