"""Per-user rate limit (GCRA, shared through Redis when set) that never drops a message
without a word.

What counts: a user's messages and button presses; Telegram's notices (the bot added to a
channel, member changes) always pass. ``RATE_LIMIT_PER_MINUTE=0`` turns the limit off; the
console does, since its one user is the operator at the keyboard.

Every refused update the bot would have answered is answered:

- a button press gets its alert every time (Telegram expects an answer to each press, and an
  alert posts nothing into the chat);
- a private message starts or extends its chat's *streak*. The first message of a streak gets
  a reply at once saying it was skipped; the others (and the first, when that reply failed or
  another process sent it) are counted, and one reply to the last of them lists them all once
  the user has paused as long as the budget needs to refill (or the streak is
  ``STREAK_MAX_S`` old, or the user's next message is let through: then before its answer).
  So a streak costs two messages however fast the user sends, within Telegram's one message
  per second per chat.

Refused messages are not queued to run later: waiting happens inside the user's FSM lock and
one of the runner's task slots, so a flooding user would hold the slots every other user's
updates need. Group chatter the bot does not answer anyway is refused without a reply.
Streaks live in this process (answered at shutdown if still open); with several workers, each
answers what it refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, ReplyParameters, TelegramObject, Update

from core.cache import KeyValue, ceil_seconds
from core.metrics import Metrics
from handlers.html import escape
from handlers.plural import plural
from services.dto import UserView

log = structlog.get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

STREAK_MAX_S: Final = 30.0  # a non-stop sender still hears about skipped messages this often
PREVIEWS: Final = 5  # skipped messages quoted in the summary; the rest are counted
PREVIEW_CHARS: Final = 24


@dataclass
class _Streak:
    """Messages refused in one chat since its notice, not answered yet."""

    bot: Bot
    chat_id: int
    started: float
    due: float  # when the summary is sent unless more messages are refused first
    skipped: list[Message] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


def _preview(message: Message) -> str:
    text = " ".join((message.text or message.caption or "").split())
    if not text:
        return "a message without text"
    short = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
    return f"“{escape(short)}”"


def skipped_notice(wait: int) -> str:
    return (
        f"Slow down: too many messages at once, so I skipped this one. Send it again in {wait} s."
    )


def skipped_summary(skipped: list[Message]) -> str:
    """The one reply covering every message of a streak after its notice."""
    quoted = ", ".join(_preview(m) for m in skipped[:PREVIEWS])
    more = len(skipped) - PREVIEWS
    if more > 0:
        quoted += f" and {plural(more, 'more')}"
    return (
        f"I also skipped {plural(len(skipped), 'message')} you sent right after: {quoted}. "
        "Send again what you still need."
    )


class RateLimitMiddleware(BaseMiddleware):
    def __init__(self, kv: KeyValue, per_minute: int, burst: int, metrics: Metrics) -> None:
        self._kv = kv
        self._rate = per_minute / 60.0
        self._burst = burst
        self._metrics = metrics
        self._streaks: dict[int, _Streak] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: UserView | None = data.get("user")
        counted = event.message or event.callback_query
        if user is None or counted is None or self._rate == 0:
            return await handler(event, data)
        decision = await self._kv.limiter.hit(
            f"user:{user.telegram_id}", rate=self._rate, burst=self._burst
        )
        bot: Bot = data["bot"]
        if decision.allowed:
            if self._streaks and event.message is not None:  # no await on the usual path
                await self._close(self._streaks.get(event.message.chat.id))
            return await handler(event, data)
        self._metrics.rate_limited.inc()
        wait = ceil_seconds(decision.retry_after)
        if event.callback_query is not None:
            await self._answer(
                event.callback_query.answer(
                    f"Slow down: too many taps. Try again in {wait} s.", show_alert=True
                )
            )
        elif event.message is not None and event.message.chat.type == "private":
            await self._refuse(bot, event.message, user, decision.retry_after)
        return None

    async def _refuse(
        self, bot: Bot, message: Message, user: UserView, retry_after: float
    ) -> None:
        """Answer the first message of a streak now; count the others for its summary."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        streak = self._streaks.get(message.chat.id)
        if streak is None:
            wait = ceil_seconds(retry_after)
            # one notice per streak across processes: the flag lives as long as the wait
            skipped = [message]  # in the summary, unless the notice answers it
            if await self._kv.cache.add_json(f"rl-warned:{user.telegram_id}", 1, wait + 1):
                log.info("rate_limited", retry_after=wait)
                notice = bot.send_message(
                    message.chat.id, skipped_notice(wait), reply_parameters=_reply_to(message)
                )
                if await self._answer(notice):
                    skipped = []
            streak = _Streak(bot, message.chat.id, started=now, due=now, skipped=skipped)
            self._streaks[message.chat.id] = streak
            streak.task = asyncio.create_task(self._close_when_due(streak))
        else:
            streak.skipped.append(message)
        streak.due = min(now + retry_after, streak.started + STREAK_MAX_S)

    async def _close_when_due(self, streak: _Streak) -> None:
        loop = asyncio.get_running_loop()
        while True:  # ``due`` moves on while messages keep being refused
            delay = streak.due - loop.time()
            if delay <= 0:
                break
            await asyncio.sleep(delay)
        await self._close(streak, from_task=True)

    async def _close(self, streak: _Streak | None, *, from_task: bool = False) -> None:
        """End a streak: one reply, to its last skipped message, lists them all."""
        if streak is None or self._streaks.get(streak.chat_id) is not streak:
            return
        del self._streaks[streak.chat_id]
        if streak.task is not None and not from_task:
            streak.task.cancel()
        if not streak.skipped:
            return
        log.info("rate_limited_summary", skipped=len(streak.skipped))
        last = streak.skipped[-1]
        await self._answer(
            streak.bot.send_message(
                streak.chat_id, skipped_summary(streak.skipped), reply_parameters=_reply_to(last)
            )
        )

    async def aclose(self) -> None:
        """At shutdown: send the summaries still waiting, so none is lost with the process."""
        for streak in list(self._streaks.values()):
            await self._close(streak)

    @staticmethod
    async def _answer(call: Awaitable[Any]) -> bool:
        """Send one answer; False (logged) when Telegram refused it."""
        try:
            await call
        except TelegramAPIError as exc:
            log.info("rate_warning_failed", error=type(exc).__name__)
            return False
        return True


def _reply_to(message: Message) -> ReplyParameters:
    return ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
