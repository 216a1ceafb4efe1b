"""Callback data is never trusted: a forged button whose id is outside 1..2**63-1 (what a
PostgreSQL BIGINT holds) gets the polite stale-button answer and a DEBUG line, never an
ERROR and never a database round trip."""

from __future__ import annotations

import logging

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import App
from core.db.models import ActionToken, AuditEntry, Order, Subscription, TradePlan, User
from tests.bot.conftest import TRADER_ID, feed
from tests.fakes.telegram_api import FakeTelegramAPI

HUGE = 2**64
FORGED = [
    f"sg:track:{HUGE}",
    f"sg:ignore:{2**63}",
    f"sg:edit:{HUGE}",
    "sg:track:0",
    "sg:track:-5",
    f"lc:{HUGE}:1",
    f"lc:{2**63}:0",
    f"dc:{HUGE}:1",
    "dc:-1:1",
]


@pytest.mark.parametrize("data", FORGED)
async def test_forged_callback_id_gets_the_stale_answer(
    app: App, telegram_api: FakeTelegramAPI, data: str
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    card = telegram_api.messages(TRADER_ID)[-1]
    with structlog.testing.capture_logs() as events:
        logging.getLogger().setLevel(logging.DEBUG)
        await feed(app, telegram_api.updates.callback(TRADER_ID, card, data))
    answer = telegram_api.last("answerCallbackQuery")
    assert answer["text"] == "This button is no longer valid."
    assert not answer.get("show_alert")
    assert [e for e in events if e["log_level"] in {"error", "critical", "warning"}] == []
    [ignored] = [e for e in events if e["event"] == "callback_ignored"]
    assert ignored["log_level"] == "debug"
    assert ignored["data"] == data[:64]


async def test_largest_bigint_id_still_reaches_the_service(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """The bound is inclusive: 2**63-1 is a valid id that simply names no signal."""
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    card = telegram_api.messages(TRADER_ID)[-1]
    await feed(app, telegram_api.updates.callback(TRADER_ID, card, f"sg:track:{2**63 - 1}"))
    assert telegram_api.last("answerCallbackQuery")["text"] != "This button is no longer valid."


PREFIXES = [
    "ch",
    "dc",
    "fm",
    "fv",
    "lc",
    "pc",
    "pg",
    "pn",
    "sap",
    "sg",
    "to",
    "ua",
    "xg",
    "xn",
    "xp",
    "xr",
    "plan",
    "x",
]
PARTS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            "track",
            "edit",
            "ignore",
            "x",
            "p",
            "i",
            "dark",
            "light",
            "signal",
            "source",
            "sources",
            "",
            "0",
            "1",
            "-1",
            "null",
            "%00",
            "<b>",
        ]
    ),
    st.text(alphabet=st.characters(codec="ascii", exclude_characters=":"), max_size=12),
)
PAYLOADS = st.builds(
    lambda prefix, parts: ":".join([prefix, *parts])[:64],
    st.sampled_from(PREFIXES),
    st.lists(PARTS, max_size=4),
).filter(lambda data: 1 <= len(data.encode()) <= 64)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=PAYLOADS)
async def test_any_payload_is_answered_and_changes_nothing(
    app: App, telegram_api: FakeTelegramAPI, data: str
) -> None:
    """T3: whatever a client puts in callback data (every prefix the bot uses, ids of any size,
    junk), a trader's press is answered, logs no error and places, plans or changes nothing."""
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    card = telegram_api.messages(TRADER_ID)[-1]
    before = await _state(app)
    with structlog.testing.capture_logs() as events:
        await feed(app, telegram_api.updates.callback(TRADER_ID, card, data))
    assert [e for e in events if e["log_level"] in {"error", "critical"}] == [], data
    assert await _state(app) == before, data
    assert telegram_api.calls_of("answerCallbackQuery"), data


async def _state(app: App) -> tuple[int, ...]:
    async with app.db.session() as session:
        counts = []
        for model in (Order, TradePlan, Subscription, ActionToken, AuditEntry):
            counts.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
        roles = await session.scalars(select(User.role).order_by(User.id))
        return (*counts, *(hash(r.value) for r in roles))
