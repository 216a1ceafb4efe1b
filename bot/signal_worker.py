"""``tsbot signals``: the signal worker process (SIGNAL_WORKER, threat T14).

Channel posts are what auto followers trade; handled on the receiving process's event loop they
share it with every chat update, so a flood of chat traffic stretches a signal's way to its
orders. With SIGNAL_WORKER on, the receiving process stores each post in the inbox as handed
off and pushes its update id to Redis (bot/handoff.py); this process pops the ids (BRPOP, FIFO),
claims each row atomically (``InboxService.claim_handoff``: only a row never started anywhere,
so never one recovery or another worker runs) and dispatches its payload through the same
dispatcher as ``tsbot run`` builds, the claim held and its lease renewed while the post runs.
A post whose row was taken first (recovery after ``HANDOFF_S``) is skipped: exactly one runs it.

Order and bounds: at most ``MAX_POSTS`` posts are held at once (popped, not finished); while
that many are, nothing more is popped (the rest wait in Redis, or for another worker). One
channel's posts run one after another in the order they were popped (channel posts carry no
user, so the per-chat isolation of bot/isolation.py does not cover them); different channels
run side by side. Several workers may pop the same list; the order of one channel's posts is
kept within a worker only, so run one worker (``tsbot run`` starts exactly one with
SIGNAL_WORKER=child).

The worker runs no start hooks, background jobs, outbox sender or inbox recovery: the receiving
process runs those (what a post queues is sent by its outbox sender; a post whose worker died
is re-run by its recovery after the inbox lease). SIGTERM/SIGINT: stop popping, let the posts
held finish (at most ``GRACE_S``), write their done marks, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from collections.abc import AsyncIterator
from typing import Final

import structlog
from aiogram.types import Update
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from bot.app import App, build_app
from bot.handoff import SIGNALS_KEY
from bot.health import health_server
from core.config import Settings
from core.errors import ConfigError

log = structlog.get_logger(__name__)

MAX_POSTS: Final = 32
POP_TIMEOUT_S: Final = 1  # BRPOP's wait: how soon a stop is noticed while idle
GRACE_S: Final = 30.0
RETRY_MAX_S: Final = 5.0
PARENT_CHECK_S: Final = 1.0


def _chat_of(update: Update) -> int:
    post = update.channel_post or update.edited_channel_post
    return post.chat.id if post is not None else 0


class SignalWorker:
    """Pops handed-off posts, claims and runs them: bounded, one channel's posts in order."""

    def __init__(self, app: App, max_posts: int = MAX_POSTS) -> None:
        if app.kv.redis is None:
            raise ConfigError(["REDIS_URL: the signal worker needs Redis"])
        self._app = app
        self._redis = app.kv.redis
        self._slots = asyncio.Semaphore(max_posts)
        self._chains: dict[int, deque[Update]] = {}  # chat id -> its posts, the running first
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: pop, claim, run. Then let the held posts finish."""
        retry_in = 0.1
        log.info("signal_worker_started", key=SIGNALS_KEY)
        while not stop.is_set():
            await self._slots.acquire()  # all held: wait for one (a stop waits for all anyway)
            if stop.is_set():
                self._slots.release()
                break
            try:
                taken = await self.take_one()
            except (RedisError, OSError, SQLAlchemyError) as exc:
                self._slots.release()  # the row stays; recovery runs it if it must
                log.warning("signal_worker_pop_failed", error=type(exc).__name__, retry=retry_in)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), retry_in)
                retry_in = min(retry_in * 2, RETRY_MAX_S)
                continue
            retry_in = 0.1
            if not taken:
                self._slots.release()
        await self.drain()
        log.info("signal_worker_stopped")

    async def take_one(self, timeout_s: float = POP_TIMEOUT_S) -> bool:
        """Pop one update id (waiting at most ``timeout_s``), claim its row, queue its post on
        its channel's chain. False when nothing came or the row was not ours to run (then the
        caller's slot is free again). Raises Redis and database errors."""
        popped = await self._redis.brpop([SIGNALS_KEY], timeout=timeout_s)
        if popped is None:
            return False
        update_id = int(popped[1])
        payload = await self._app.inbox.claim_handoff(update_id)
        if payload is None:  # recovery (or another worker) was first: it runs the post
            self._app.metrics.signal_posts.labels("taken_elsewhere").inc()
            log.info("signal_post_taken_elsewhere", update_id=update_id)
            return False
        self._app.inbox.started(update_id)  # its lease is renewed from now on, queued or not
        try:
            update = Update.model_validate_json(payload, context={"bot": self._app.bot})
        except ValidationError:
            self._app.inbox.ended(update_id)
            self._app.inbox.finish(update_id, error="unreadable update")
            log.error("signal_post_unreadable", update_id=update_id)
            return False
        self._queue(update)
        return True

    def _queue(self, update: Update) -> None:
        chat = _chat_of(update)
        chain = self._chains.get(chat)
        if chain is not None:  # a post of this channel runs: this one follows it
            chain.append(update)
            return
        self._chains[chat] = deque([update])
        task = asyncio.create_task(self._run_chain(chat), name=f"signals-{chat}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_chain(self, chat: int) -> None:
        chain = self._chains[chat]
        while chain:
            try:
                await self._handle(chain[0])
            finally:
                chain.popleft()
                self._slots.release()
        del self._chains[chat]

    async def _handle(self, update: Update) -> None:
        app = self._app
        try:
            await app.dispatcher.feed_update(app.bot, update, inbox_claimed=True)
        except Exception:  # logged and marked (failed, or left for recovery) on the way
            app.metrics.signal_posts.labels("failed").inc()
            log.debug("signal_post_failed", update_id=update.update_id)
        else:
            app.metrics.signal_posts.labels("handled").inc()
        finally:
            app.inbox.ended(update.update_id)

    async def drain(self, grace_s: float = GRACE_S) -> None:
        """Let the held posts finish (at most ``grace_s``), then write their done marks."""
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace_s)
            if late:  # their rows stay pending: recovery runs them after the lease
                log.warning("signal_worker_posts_unfinished", count=len(late))
        await self._app.inbox.flush()


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    """Stop when the parent is gone (killed with SIGKILL, it could not end its child; its
    restart starts a new one, and two workers would not keep a channel's order)."""
    while not stop.is_set():
        if os.getppid() != parent_pid:
            log.warning("signal_worker_orphaned", parent_pid=parent_pid)
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PARENT_CHECK_S)


async def run_signal_worker(
    settings: Settings, stop: asyncio.Event | None = None, parent_pid: int | None = None
) -> int:
    """``tsbot signals``: the worker until SIGTERM/SIGINT (or ``stop``; or, as the child of
    ``parent_pid``, until that process is gone). Raises ``ConfigError`` when SIGNAL_WORKER is
    off (nothing would be handed to it)."""
    if not settings.worker.enabled:
        raise ConfigError(
            [
                "SIGNAL_WORKER: is off, so no channel post is handed to a worker; set "
                "SIGNAL_WORKER=child (tsbot run starts the worker) or external (run tsbot "
                "signals yourself)"
            ]
        )
    app = await build_app(settings)
    if stop is None:
        stop = asyncio.Event()
        _install_signal_handlers(stop)
    watcher = None
    if parent_pid is not None:
        watcher = asyncio.create_task(_watch_parent(parent_pid, stop), name="parent-watch")
    try:
        app.start_lease_renewal()
        async with _health(app):
            await SignalWorker(app).run(stop)
    finally:
        if watcher is not None:
            watcher.cancel()
        await app.aclose()
    return 0


@contextlib.asynccontextmanager
async def _health(app: App) -> AsyncIterator[None]:
    """/healthz and /metrics on SIGNAL_WORKER_HEALTH_PORT (HEALTH_HOST), unless it is 0."""
    port = app.settings.worker.health_port
    if not port:
        yield
        return
    async with health_server(app, port):
        yield
