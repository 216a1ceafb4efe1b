"""Handing channel posts to the signal worker (SIGNAL_WORKER, threat T14): the receiving side.

With a worker mode on, the receiving process (polling or webhook) stores every update in the
inbox exactly as before, in the same transaction; a ``channel_post`` or ``edited_channel_post``
is stored as handed off (lease ``HANDOFF_S``, no attempt yet) and, once the transaction has
committed, its update id is pushed onto one Redis list (``SIGNALS_KEY``, LPUSH; the worker
pops with BRPOP, so posts leave in the order they came). Everything else is handled here.

The row decides, never the queue: the worker runs a post only if its atomic claim of the row
succeeds. When no worker claims it within ``HANDOFF_S`` (none running, the push lost with Redis
away), ``failover`` runs one inbox recovery pass just after that lease, which takes the row and
runs the post here; a worker coming late finds it taken and does nothing. A lost push thus
costs the post ``HANDOFF_S`` and a little, never the post.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

import redis.asyncio as aioredis
import structlog
from aiogram.types import Update
from redis.exceptions import RedisError

from bot.middlewares.inbox import raw_json
from core.metrics import Metrics
from services.inbox import HANDOFF_S, InboxService

log = structlog.get_logger(__name__)

SIGNALS_KEY: Final = "tsbot:signals"
# recovery runs this long after a hand-off's lease: the lease is on the app's clock, the wait
# on this process's monotonic one
MARGIN_S: Final = 0.25
# at most one failover pass a second: posts handed off close together share one pass
MIN_PASS_GAP_S: Final = 1.0


SIGNAL_KINDS: Final = ("channel_post", "edited_channel_post")


def is_signal(update: Update) -> bool:
    """A channel post or its edit: what the signal worker handles."""
    return any(getattr(update, kind) is not None for kind in SIGNAL_KINDS)


def is_signal_payload(raw: str) -> bool:
    """``is_signal`` of a stored update's raw JSON (an object; never ``None`` fields, as
    ``raw_json`` stores them)."""
    return any(kind in json.loads(raw) for kind in SIGNAL_KINDS)


class SignalHandoff:
    """Stores a batch, hands its channel posts to the worker, returns the rest to run here."""

    def __init__(
        self,
        inbox: InboxService,
        redis: aioredis.Redis,
        metrics: Metrics,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inbox = inbox
        self._redis = redis
        self._metrics = metrics
        self._monotonic = monotonic
        self._due: deque[float] = deque()  # when each hand-off's lease is over, in order
        self._wake = asyncio.Event()

    async def store(self, updates: Sequence[Update]) -> tuple[list[int], list[int]]:
        """Store ``updates`` (one transaction, as ``InboxService.store_batch``); push the new
        channel posts to the worker. Returns (the ids to handle in this process, the ids
        handed off). Raises what the inbox write raises (nothing was stored then); a failed
        push is only logged."""
        handoff = {u.update_id for u in updates if is_signal(u)}
        mine, handed = await self._inbox.store_handing_off(
            [(u.update_id, raw_json(u)) for u in updates], handoff
        )
        if handed:
            self._due.append(self._monotonic() + HANDOFF_S + MARGIN_S)
            self._wake.set()
            try:
                await self._redis.lpush(SIGNALS_KEY, *handed)
            except (RedisError, OSError) as exc:  # stored: recovery runs them after the lease
                self._metrics.signal_posts.labels("push_failed").inc(len(handed))
                log.warning(
                    "signal_handoff_push_failed", count=len(handed), error=type(exc).__name__
                )
            else:
                self._metrics.signal_posts.labels("handed_off").inc(len(handed))
                log.debug("signal_posts_handed_off", update_ids=handed)
        return mine, handed

    async def failover(self, stop: asyncio.Event, recover: Callable[[], Awaitable[int]]) -> None:
        """Until ``stop``: just after each hand-off's lease, one ``recover`` pass (the app's
        inbox recovery), which runs here whatever no worker took."""
        while not stop.is_set():
            if not self._due:
                self._wake.clear()
                await _first(stop, self._wake)
                continue
            wait = self._due[0] - self._monotonic()
            if wait > 0:
                await _pause(stop, wait)
                continue
            now = self._monotonic()
            while self._due and self._due[0] <= now:
                self._due.popleft()  # one pass for all that are due
            try:
                taken = await recover()
            except Exception:  # the app's periodic recovery is still there; the rows stay
                log.exception("signal_failover_failed")
            else:
                if taken:
                    log.warning("signal_posts_taken_back", count=taken)
            await _pause(stop, MIN_PASS_GAP_S)  # those due meanwhile share the next pass


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _first(*events: asyncio.Event) -> None:
    """Return once any of ``events`` is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
