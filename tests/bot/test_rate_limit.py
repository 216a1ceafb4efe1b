"""The per-user rate limit never drops a message without a word (issue 15, item 1).

Messages beyond the budget: the first of a streak is answered at once, the others are listed in
one reply once the user pauses; button presses beyond it each get their alert. The console's
app has no limit at all."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiogram.types import Message

from bot.app import App
from bot.middlewares.rate_limit import PREVIEWS, RateLimitMiddleware, skipped_summary
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.fakes.telegram_api import FakeTelegramAPI

TIGHT = {"rate_limit_per_minute": 60, "rate_limit_burst": 5}
SUMMARY = re.compile(r"I also skipped (\d+) messages?")


def _replies_to(telegram_api: FakeTelegramAPI, chat_id: int) -> list[dict[str, Any]]:
    return [c for c in telegram_api.calls_of("sendMessage") if c["chat_id"] == chat_id]


def _listed(text: str) -> int:
    """How many skipped messages a summary lists (0 for any other text)."""
    match = SUMMARY.search(text)
    return 0 if match is None else int(match.group(1))


def _replied_id(call: dict[str, Any]) -> int | None:
    reply = call.get("reply_parameters")
    return None if not isinstance(reply, dict) else int(reply["message_id"])


async def test_every_refused_message_is_answered_or_listed(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """20 messages at once on a budget of 5: each gets its answer, the notice, or a line in the
    summary, and the notice and summary reply to the first and last skipped messages."""
    app = await make_app(limits=TIGHT)
    sent = []
    for index in range(20):
        raw = telegram_api.updates.message(TRADER_ID, f"/whoami {index}")
        sent.append(raw["message"]["message_id"])
        await feed(app, raw)
    summaries = await _wait_for_summary(telegram_api)
    replies = _replies_to(telegram_api, TRADER_ID)
    answered = [c for c in replies if "Telegram id" in c["text"]]
    notices = [c for c in replies if c["text"].startswith("Slow down")]
    listed = sum(_listed(c["text"]) for c in summaries)
    assert 5 <= len(answered) < 20
    assert len(notices) >= 1
    assert len(answered) + len(notices) + listed == 20
    first_skipped = _replied_id(notices[0])
    assert first_skipped in sent and "skipped this one" in notices[0]["text"]
    assert _replied_id(summaries[-1]) == sent[-1]  # the last message was refused too
    assert "“/whoami 19”" in summaries[-1]["text"] or listed > PREVIEWS


async def _wait_for_summary(telegram_api: FakeTelegramAPI) -> list[dict[str, Any]]:
    """The summaries sent once the user paused (the budget refills in about a second)."""
    for _ in range(50):
        found = [c for c in _replies_to(telegram_api, TRADER_ID) if _listed(c["text"])]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("no summary of the skipped messages was sent")


async def test_the_next_message_let_through_comes_after_the_summary(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(limits=TIGHT)
    for _ in range(9):
        await feed(app, telegram_api.updates.message(TRADER_ID, "/whoami"))
    await _wait_for_summary(telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    texts = [c["text"] for c in _replies_to(telegram_api, TRADER_ID)]
    assert texts[-1].startswith("Welcome")
    summary_at = max(i for i, t in enumerate(texts) if _listed(t))
    assert summary_at < len(texts) - 1


async def test_every_refused_button_press_gets_its_alert(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(limits=TIGHT)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    message = telegram_api.messages(TRADER_ID)[-1]
    presses = 15
    for _ in range(presses):
        await feed(app, telegram_api.updates.callback(TRADER_ID, message, "zz:forged:1"))
    answers = telegram_api.calls_of("answerCallbackQuery")
    assert len(answers) == presses
    refused = [a for a in answers if a["text"].startswith("Slow down: too many taps")]
    assert refused and all(a.get("show_alert") for a in refused)


async def test_no_limit_when_the_rate_is_zero(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """RATE_LIMIT_PER_MINUTE=0 (what the console sets): 40 messages, 40 answers."""
    app: App = await make_app(limits={"rate_limit_per_minute": 0, "rate_limit_burst": 1})
    for _ in range(40):
        await feed(app, telegram_api.updates.message(TRADER_ID, "/whoami"))
    texts = [c["text"] for c in _replies_to(telegram_api, TRADER_ID)]
    assert len(texts) == 40 and all("Telegram id" in t for t in texts)


def test_the_summary_quotes_the_first_messages_and_counts_the_rest() -> None:
    def message(text: str | None) -> Message:
        raw = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": text}
        return Message.model_validate(raw)

    one = skipped_summary([message("<b>hi</b>")])
    assert one.startswith("I also skipped 1 message you sent") and "“&lt;b&gt;hi&lt;/b&gt;”" in one
    many = skipped_summary([message(f"/price coin{i}") for i in range(8)] + [message(None)])
    assert "9 messages" in many and "and 4 more" in many and "coin5" not in many
    long = skipped_summary([message("x" * 100)])
    assert "x" * 23 + "…" in long and "x" * 25 not in long


async def test_a_failed_notice_and_a_shutdown_still_answer_every_message(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """The notice fails (Telegram refused it): its message goes in the summary, which the app
    sends when it shuts down with the streak still open."""
    app = await make_app(limits={"rate_limit_per_minute": 6, "rate_limit_burst": 2})
    for _ in range(2):
        await feed(app, telegram_api.updates.message(TRADER_ID, "/whoami"))
    telegram_api.fail("sendMessage", 400)  # the notice
    refused = []
    for text in ("first", "second", "third"):
        raw = telegram_api.updates.message(TRADER_ID, text)
        refused.append(raw["message"]["message_id"])
        await feed(app, raw)
    limiter = next(
        m for m in app.dispatcher.update.outer_middleware if isinstance(m, RateLimitMiddleware)
    )
    await limiter.aclose()
    summary = _replies_to(telegram_api, TRADER_ID)[-1]
    assert _listed(summary["text"]) == 3
    assert "“first”, “second”, “third”" in summary["text"]
    assert _replied_id(summary) == refused[-1]
