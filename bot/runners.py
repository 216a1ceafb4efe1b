"""Run modes: polling and webhook without loss, and the console.

Polling: each batch from ``getUpdates`` is written to the inbox in one transaction *before* the
next ``getUpdates`` (whose offset confirms the batch to Telegram) is requested. Webhook: the
secret token is mandatory, a wrong or missing header is a 401 that writes nothing, and the 200
is sent only after the inbox write. Either way handling happens after, in tasks; an update whose
process dies mid-way is re-run by inbox recovery once its lease is over. With SIGNAL_WORKER on,
channel posts are stored as handed off and run by the signal worker process instead
(bot/handoff.py, bot/signal_worker.py); everything else is handled here. An optional IP
allowlist (bot/webhook_ip.py, off by default) refuses other callers with 403 before the secret
and the body are read. In both modes ``/healthz`` and ``/metrics`` are served by bot/health.py
on the internal health port only; the webhook port serves the webhook route and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
from collections.abc import Sequence
from typing import Any

import structlog
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.app import App, build_app
from bot.health import health_server
from bot.middlewares.inbox import raw_json
from bot.webhook_ip import IpAllowlist
from core.config import RunMode, Settings
from core.config_worker import SignalWorkerMode
from core.errors import ConfigError, ServiceUnavailable
from core.heap import settle_heap
from handlers.command_menu import publish_menus

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_CONCURRENT_UPDATES = 64
# aiogram's polling backoff without jitter: 1 s, 2 s, 4 s ... 30 s after failures in a row,
# back to 1 s once a getUpdates answers. TelegramRetryAfter waits what Telegram asks instead.
POLLING_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=2.0, jitter=0.0)


class UpdateRunner:
    """Handles stored updates as tasks (bounded), so receiving never waits on handling."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)

    def spawn(self, update: Update) -> None:
        task = asyncio.create_task(self._handle(update), name=f"update-{update.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update) -> None:
        async with self._slots:
            try:
                await self._app.dispatcher.feed_update(self._app.bot, update, inbox_claimed=True)
            except Exception:  # already logged and answered by the error router
                log.debug("update_task_failed", update_id=update.update_id)

    async def drain(self, grace_s: float = 30) -> None:
        """Let running updates end, then write their done marks."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)
        await self._app.inbox.flush()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def poll(app: App, stop: asyncio.Event) -> None:
    """Long polling that confirms a batch only once every update of it is in the inbox."""
    allowed = app.dispatcher.resolve_used_update_types()
    runner = UpdateRunner(app)
    offset: int | None = None
    backoff = Backoff(POLLING_BACKOFF)
    log.info("polling_started", allowed_updates=allowed)
    while not stop.is_set():
        try:
            updates = await _get_updates(app, stop, offset, allowed)
        except TelegramUnauthorizedError:
            raise ServiceUnavailable("Telegram refused BOT_TOKEN (401 Unauthorized).") from None
        except TelegramRetryAfter as exc:
            await _pause(stop, exc.retry_after)
            continue
        except (TelegramNetworkError, TelegramServerError, TelegramConflictError) as exc:
            delay = next(backoff)
            log.warning("polling_failed", error=type(exc).__name__, retry_in=delay)
            await _pause(stop, delay)
            continue
        if updates is None:  # stopped while waiting
            break
        backoff.reset()
        if not updates:
            continue
        try:
            stored, handed = await store_updates(app, updates)
        except (OSError, SQLAlchemyError) as exc:
            # Not stored, so not confirmed: the same batch comes again once the database is back.
            delay = next(backoff)
            log.error("inbox_store_failed", error=type(exc).__name__, retry_in=delay)
            await _pause(stop, delay)
            continue
        offset = updates[-1].update_id + 1  # confirmed by the next getUpdates, after the write
        mine, passed = set(stored), set(handed)
        for update in updates:
            if update.update_id in mine:
                mine.discard(update.update_id)  # a batch may carry the same update twice
                runner.spawn(update)
            elif update.update_id in passed:
                passed.discard(update.update_id)  # the signal worker's
            else:
                app.metrics.inbox_duplicates.inc()
    await runner.drain()


async def store_updates(app: App, updates: Sequence[Update]) -> tuple[list[int], list[int]]:
    """Store updates in the inbox (one transaction): (the ids to handle here, the ids handed
    to the signal worker: channel posts when SIGNAL_WORKER is on, bot/handoff.py)."""
    if app.handoff is not None:
        return await app.handoff.store(updates)
    return await app.inbox.store_batch([(u.update_id, raw_json(u)) for u in updates]), []


async def _get_updates(
    app: App, stop: asyncio.Event, offset: int | None, allowed: list[str]
) -> list[Update] | None:
    """One ``getUpdates`` long poll; ``None`` when ``stop`` was set first."""
    timeout = app.settings.telegram.polling_timeout_s
    get = asyncio.ensure_future(
        app.bot.get_updates(
            offset=offset, timeout=timeout, allowed_updates=allowed, request_timeout=timeout + 10
        )
    )
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({get, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if get not in done:
        get.cancel()
        return None
    return get.result()


def webhook_app(app: App, secret: str, path: str) -> web.Application:
    """aiohttp app of the public port: the webhook route only (secret checked first)."""
    if not secret:
        raise ConfigError(["WEBHOOK_SECRET: required in webhook mode"])
    runner = UpdateRunner(app)
    expected = secret.encode()
    allowlist = IpAllowlist(app.settings.webhook_ip)  # off unless WEBHOOK_ALLOWED_IPS is set

    async def handle_update(request: web.Request) -> web.Response:
        if not allowlist.allows(request):  # defence in depth; the secret below stays the control
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            log.warning("webhook_bad_secret", remote=request.remote)
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        try:
            body = await request.json(loads=json.loads)
            update = Update.model_validate(body, context={"bot": app.bot})
        except (ValueError, ValidationError):
            log.warning("webhook_malformed_update")
            return web.json_response({"ok": False, "error": "malformed update"}, status=400)
        try:
            mine, handed = await store_updates(app, [update])
        except (OSError, SQLAlchemyError) as exc:  # Telegram retries a non-2xx delivery
            log.error("inbox_store_failed", error=type(exc).__name__)
            return web.json_response({"ok": False, "error": "unavailable"}, status=503)
        if mine:
            runner.spawn(update)
        elif not handed:
            app.metrics.inbox_duplicates.inc()
        return web.json_response({})  # 200 only now: the update is safely stored

    async def on_shutdown(_web: web.Application) -> None:
        await runner.drain()

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(path, handle_update)
    web_app.on_shutdown.append(on_shutdown)
    return web_app


async def serve_webhook(app: App, stop: asyncio.Event) -> None:
    tg = app.settings.telegram
    secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret else ""
    web_app = webhook_app(app, secret, tg.webhook_path)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, tg.webhook_host, tg.webhook_port)
    await site.start()
    await app.bot.set_webhook(
        url=tg.webhook_url or "",
        secret_token=secret,
        allowed_updates=app.dispatcher.resolve_used_update_types(),
        drop_pending_updates=False,
    )
    log.info("webhook_started", port=tg.webhook_port, path=tg.webhook_path)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def serve(app: App, stop: asyncio.Event) -> None:
    """Receive updates in the configured mode until ``stop``, the health server up throughout."""
    async with health_server(app):
        if app.settings.telegram.mode is RunMode.WEBHOOK:
            await serve_webhook(app, stop)
        else:
            with contextlib.suppress(TelegramNetworkError):
                await app.bot.delete_webhook(drop_pending_updates=False)
            await poll(app, stop)


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def run_bot(settings: Settings, env_file: str | None = None) -> int:
    """``tsbot run``: the console when no token is set; otherwise polling or webhook, after
    setting the command menus (handlers/command_menu.py). With SIGNAL_WORKER=child also the
    signal worker, as a supervised child reading ``env_file`` too (bot/worker_child.py)."""
    if settings.telegram.bot_token is None:  # nothing to connect to: chat in the terminal
        return await run_console(settings)
    app = await build_app(settings)
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    worker: asyncio.Task[None] | None = None
    try:
        await app.on_start()
        await publish_menus(app.bot, settings.telegram.admin_ids)
        log.info("heap_settled", frozen_objects=settle_heap())
        app.start_background()
        mode = settings.worker.signal_worker
        if mode is SignalWorkerMode.CHILD:
            from bot.worker_child import supervise, worker_command

            worker = asyncio.create_task(supervise(worker_command(env_file), stop))
        elif mode is SignalWorkerMode.EXTERNAL:  # run apart; until it runs, recovery takes over
            log.info("signal_worker_expected", command="tsbot signals")
        await serve(app, stop)
    finally:
        if worker is not None:  # the child finishes its posts before the stores close
            stop.set()
            await worker
        await app.aclose()
    return 0


async def run_console(settings: Settings, as_user: int | None = None) -> int:
    """The console is a local tool: it brings its database to the current schema first (what
    ``make console`` does with ``tsbot migrate``), so ``tsbot console`` works on its own."""
    from bot.console.chat import Console
    from core.db import migrate
    from core.db.session import Database

    db = Database(settings.database.url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.aclose()
    return await Console(settings, as_user=as_user).run()
