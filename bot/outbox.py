"""The outbox sender: drains queued notifications within Telegram's limits, never drops one.

Budgets (GCRA, shared through Redis when several processes send): a global rate (default
25/s), 1/s per private chat and 20/min per group. ``TelegramRetryAfter`` pauses that chat for
the time Telegram asks; 5xx and network errors retry with backoff; 403 (blocked) marks the user
inactive and the row failed; 400 records the error on the row. Every outcome is on the row.

Order: one chat's messages leave in the order they were queued (row id). Only the first pending
row of a chat is ever claimed, so a row waiting out a retry, a pause or the chat's budget holds
the rows behind it (a row failed for good releases them), while other chats go on; any number
of senders, in one process or several, may drain the same table.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_exponential

from core.cache import KeyValue
from core.clock import Clock, utc_now
from core.config import LimitsSettings
from core.db.repositories.outbox import OutboxRepository
from core.db.session import Database
from core.domain import OutboxStatus
from core.metrics import Metrics
from services.users import UserService

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF_S = 300.0
# A transient failure is retried by a later drain, so the attempt count lives on the row; the
# schedule is tenacity's, fed that count: 1 s, 2 s, 4 s ... at most MAX_BACKOFF_S, and no try
# after the MAX_ATTEMPTS-th.
TRANSIENT_RETRY = Retrying(
    wait=wait_exponential(max=MAX_BACKOFF_S), stop=stop_after_attempt(MAX_ATTEMPTS)
)


def transient_backoff(failed_attempt: int) -> float | None:
    """Seconds before a row's next try once its ``failed_attempt``-th try (1 = the first)
    failed transiently; ``None`` when that was the last try."""
    state = RetryCallState(TRANSIENT_RETRY, fn=None, args=(), kwargs={})
    state.attempt_number = failed_attempt
    if TRANSIENT_RETRY.stop(state):
        return None
    return float(TRANSIENT_RETRY.wait(state))


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        kv: KeyValue,
        limits: LimitsSettings,
        users: UserService,
        metrics: Metrics,
        *,
        clock: Clock = utc_now,
        batch_size: int = 50,
        lease_s: float = 60,
        idle_poll_s: float = 1.0,
    ) -> None:
        self._bot = bot
        self._db = db
        self._kv = kv
        self._limits = limits
        self._users = users
        self._metrics = metrics
        self._clock = clock
        self._batch = batch_size
        self._lease = timedelta(seconds=lease_s)
        self._idle = idle_poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell the sender new rows are waiting (same process); others find them by polling."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            idle = self._idle
            try:
                sent = await self.drain_once()
                if sent == 0:
                    self._wake.clear()
                    idle = await self._idle_for()
            except Exception:  # keep the sender alive (the database may be away); rows stay
                log.exception("outbox_drain_failed")
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)

    async def flush(self, limit_s: float = 60.0) -> int:
        """Deliver everything queued, waiting out rate limits, for at most ``limit_s``;
        return how many rows are still pending (used when a console session ends)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while loop.time() < deadline:
            if await self.drain_once():
                continue
            async with self._db.session() as session:
                due = await OutboxRepository(session).next_due_at()
            if due is None:
                return 0
            wait = (due - self._clock()).total_seconds()
            await asyncio.sleep(min(max(wait, 0.01), max(0.0, deadline - loop.time())))
        async with self._db.session() as session:
            return await OutboxRepository(session).count(OutboxStatus.PENDING)

    async def _idle_for(self) -> float:
        async with self._db.session() as session:
            due = await OutboxRepository(session).next_due_at()
        if due is None:
            return self._idle
        return min(self._idle, max(0.01, (due - self._clock()).total_seconds()))

    async def drain_once(self) -> int:
        """Send what is due now; return how many rows were handled (sent, deferred or failed)."""
        now = self._clock()
        async with self._db.transaction() as session:
            rows = await OutboxRepository(session).claim_due(
                now, limit=self._batch, lease=self._lease
            )
            claimed = [(r.id, r.chat_id, r.text, r.reply_markup, r.attempts) for r in rows]
        for row in claimed:  # at most one row per chat: its head (see OutboxRepository)
            await self._deliver(*row)
        async with self._db.session() as session:
            self._metrics.outbox_pending.set(
                await OutboxRepository(session).count(OutboxStatus.PENDING)
            )
        return len(claimed)

    def _chat_budget(self, chat_id: int) -> tuple[float, int]:
        if chat_id < 0:  # groups, supergroups and channels
            return self._limits.outbox_group_per_min / 60.0, 1
        return self._limits.outbox_chat_per_s, 1

    async def _deliver(
        self, row_id: int, chat_id: int, text: str, markup: dict[str, Any] | None, attempts: int
    ) -> None:
        """Send one row, or put it back (its chat paused or over budget), or record why not."""
        paused = await self._kv.cache.get_json(f"chat-pause:{chat_id}")
        if paused is not None:
            wait = float(paused) - self._clock().timestamp()
            await self._defer(row_id, wait)
            return
        rate, burst = self._chat_budget(chat_id)
        chat = await self._kv.limiter.hit(f"out:chat:{chat_id}", rate=rate, burst=burst)
        if not chat.allowed:
            await self._defer(row_id, chat.retry_after)
            return
        await self._global_slot()
        reply_markup = InlineKeyboardMarkup.model_validate(markup) if markup else None
        try:
            await self._bot.send_message(chat_id, text, reply_markup=reply_markup)
        except TelegramRetryAfter as exc:
            until = self._clock().timestamp() + exc.retry_after
            await self._kv.cache.set_json(f"chat-pause:{chat_id}", until, exc.retry_after)
            self._metrics.outbox_sent.labels("retry_after").inc()
            log.warning("outbox_retry_after", chat_id=chat_id, retry_after=exc.retry_after)
            await self._defer(row_id, exc.retry_after)
            return
        except TelegramForbiddenError as exc:
            self._metrics.outbox_sent.labels("forbidden").inc()
            log.info("outbox_forbidden", chat_id=chat_id)
            if chat_id > 0:
                await self._users.mark_blocked(chat_id)
            await self._fail(row_id, f"forbidden: {exc.message}")
        except TelegramBadRequest as exc:
            self._metrics.outbox_sent.labels("bad_request").inc()
            log.warning("outbox_bad_request", chat_id=chat_id, error=exc.message)
            await self._fail(row_id, f"bad request: {exc.message}")
        except (TelegramServerError, TelegramNetworkError) as exc:
            self._metrics.outbox_sent.labels("transient").inc()
            backoff = transient_backoff(attempts + 1)
            if backoff is None:
                await self._fail(row_id, f"gave up after {attempts + 1} attempts: {exc}")
                return
            log.warning("outbox_transient_error", chat_id=chat_id, retry_in=backoff)
            async with self._db.transaction() as session:
                await OutboxRepository(session).retry_at(
                    row_id, self._clock() + timedelta(seconds=backoff), str(exc)
                )
        else:
            self._metrics.outbox_sent.labels("sent").inc()
            async with self._db.transaction() as session:
                await OutboxRepository(session).mark_sent(row_id, self._clock())

    async def _global_slot(self) -> None:
        """Wait until the global budget lets one message out: it is the bottleneck by design,
        so a row waits for it rather than being deferred."""
        while True:
            bulk = await self._kv.limiter.hit(
                "out:global", rate=self._limits.outbox_global_per_s, burst=1
            )
            if bulk.allowed:
                return
            await asyncio.sleep(bulk.retry_after)

    async def _defer(self, row_id: int, seconds: float) -> None:
        async with self._db.transaction() as session:
            await OutboxRepository(session).defer(
                row_id, self._clock() + timedelta(seconds=max(0.0, seconds))
            )

    async def _fail(self, row_id: int, error: str) -> None:
        async with self._db.transaction() as session:
            await OutboxRepository(session).mark_failed(row_id, error)
