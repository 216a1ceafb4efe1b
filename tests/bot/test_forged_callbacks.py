"""Callback data is never trusted: a forged button whose id is outside 1..2**63-1 (what a
PostgreSQL BIGINT holds) gets the polite stale-button answer and a DEBUG line, never an
ERROR and never a database round trip."""

from __future__ import annotations

import logging

import pytest
import structlog

from bot.app import App
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
