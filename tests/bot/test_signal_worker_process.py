"""The signal worker as real processes (SIGNAL_WORKER, T14): ``python -m bot signals`` killed
in the middle of a post, stopped with SIGTERM, orphaned; and ``python -m bot run`` with
SIGNAL_WORKER=child starting, restarting and ending it. The in-process cases are in
tests/bot/test_signal_worker.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, text

from bot.runners import store_updates
from core.db.models import Signal, Source
from core.db.session import Database
from core.domain import InboxStatus
from tests.bot.conftest import AppFactory
from tests.bot.signals.test_intake import CHANNEL, ENTRY, ETH_ENTRY
from tests.bot.test_signal_worker import (
    DEADLINE_S,
    KEY,
    LIMITS,
    WORKER,
    as_update,
    count,
    done,
    entry_orders,
    followed_channel,
    inbox_row,
    until,
)
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.processes import spawn_bot
from tests.services import RedisServer, free_port


def _worker_env(db: Database, redis: RedisServer, telegram_api: FakeTelegramAPI) -> dict[str, str]:
    return {
        **os.environ,
        "BOT_TOKEN": "42:TEST-not-a-real-token-but-long-enough",
        "TELEGRAM_API_URL": telegram_api.url,
        "DATABASE_URL": db.url,
        "REDIS_URL": redis.url(),
        "ENCRYPTION_KEY": KEY,
        "SIGNAL_WORKER": "external",
        "SIGNAL_WORKER_HEALTH_PORT": str(free_port()),
        "INBOX_LEASE": "1",
        "PRICE_FEED": "static",
        "STATIC_PRICES": "BTC/USDT=60500,ETH/USDT=3000",
        "SIGNAL_ENTRY_FAR_PCT": "0",
        "LOG_LEVEL": "WARNING",
    }


async def _start_worker(env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("ab") as sink:
        return await spawn_bot("signals", *args, env=env, stderr=sink)


@pytest.mark.slow
async def test_a_killed_worker_process_leaves_its_post_to_recovery_run_once(
    make_app: AppFactory,
    pg_db: Database,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    tmp_path: Path,
) -> None:
    """A real ``python -m bot signals`` handles a post; the next one it is killed in the middle
    of (held on the source's row lock, claimed, nothing written), and the receiving process's
    recovery runs it after the inbox lease: each post one signal and one order."""
    app = await followed_channel(
        make_app,
        telegram_api,
        security={"encryption_key": KEY},
        limits={**LIMITS, "inbox_lease_s": 1},
    )
    telegram_api.token = None  # the worker process has its own token
    log = tmp_path / "worker.log"
    worker = await _start_worker(_worker_env(pg_db, redis_srv, telegram_api), log)
    try:
        first = as_update(app, telegram_api.updates.channel_post(CHANNEL, ENTRY))
        await store_updates(app, [first])
        await until("the worker process ran the first post", lambda: done(pg_db, first.update_id))
        assert await count(app, Signal) == 1 and len(await entry_orders(app)) == 1

        async with pg_db.engine.connect() as holder:
            await holder.begin()
            await holder.execute(select(Source.id).with_for_update())  # intake waits on it
            second = as_update(app, telegram_api.updates.channel_post(CHANNEL, ETH_ENTRY))
            await store_updates(app, [second])
            await until("the worker waits on the source's lock", lambda: _lock_waits(pg_db))
            row = await inbox_row(pg_db, second.update_id)
            assert (row.status, row.attempts) == (InboxStatus.PENDING, 1)  # claimed
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
            await holder.rollback()
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()

    async def recovered() -> bool:
        await app.recover_inbox()
        await app.inbox.flush()
        return await done(pg_db, second.update_id)

    await until("recovery ran the killed worker's post", recovered)
    assert await count(app, Signal) == 2 and len(await entry_orders(app)) == 2
    assert (await inbox_row(pg_db, second.update_id)).attempts == 2  # the worker's, then ours
    assert "Traceback" not in log.read_text(errors="replace")


async def _lock_waits(db: Database) -> bool:
    async with db.session() as session:
        waiting = await session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
    return bool(waiting)


@pytest.mark.slow
async def test_worker_process_serves_health_and_stops_cleanly_on_sigterm(
    make_app: AppFactory,
    pg_db: Database,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    tmp_path: Path,
) -> None:
    await make_app(worker=WORKER)  # a clean Redis
    env = _worker_env(pg_db, redis_srv, telegram_api)
    worker = await _start_worker(env, tmp_path / "worker.log")
    url = f"http://127.0.0.1:{env['SIGNAL_WORKER_HEALTH_PORT']}"
    try:
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                assert worker.returncode is None, (tmp_path / "worker.log").read_text()
                try:
                    async with http.get(f"{url}/healthz") as answer:
                        return answer.status == 200
                except aiohttp.ClientConnectionError:
                    return False

            await until("the worker serves /healthz", healthy)
            async with http.get(f"{url}/metrics") as answer:
                assert "tsbot_signal_worker_posts" in await answer.text()
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), DEADLINE_S) == 0
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


async def _worker_metric(http: aiohttp.ClientSession, url: str, outcome: str) -> float | None:
    """The worker's counter for ``outcome`` from its /metrics; None while it does not answer."""
    try:
        async with http.get(f"{url}/metrics") as answer:
            body = await answer.text()
    except aiohttp.ClientConnectionError:
        return None
    line = f'tsbot_signal_worker_posts_total{{outcome="{outcome}"}} '
    return next(
        (float(x.removeprefix(line)) for x in body.splitlines() if x.startswith(line)), 0.0
    )


@pytest.mark.slow
async def test_run_starts_the_worker_as_a_child_restarts_it_and_ends_it(
    make_app: AppFactory,
    pg_db: Database,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    tmp_path: Path,
) -> None:
    """``tsbot run`` with SIGNAL_WORKER=child: the child handles a polled channel post, is
    started again after a SIGKILL, and ends with its parent on SIGTERM."""
    setup = await followed_channel(make_app, telegram_api, security={"encryption_key": KEY})
    telegram_api.token = None  # the processes have their own token
    env = {
        **_worker_env(pg_db, redis_srv, telegram_api),
        "SIGNAL_WORKER": "child",
        "HEALTH_PORT": str(free_port()),
        "POLLING_TIMEOUT": "1",
    }
    url = f"http://127.0.0.1:{env['SIGNAL_WORKER_HEALTH_PORT']}"
    log = tmp_path / "bot.log"
    with log.open("ab") as sink:
        bot = await spawn_bot("run", env=env, stderr=sink)
    try:
        async with aiohttp.ClientSession() as http:

            async def worker_up() -> bool:
                assert bot.returncode is None, log.read_text(errors="replace")[-3000:]
                return await _worker_metric(http, url, "handled") is not None

            await until("the child worker answers", worker_up)
            post = telegram_api.updates.channel_post(CHANNEL, ENTRY)
            telegram_api.feed(post)
            await until("the post is handled", lambda: done(pg_db, post["update_id"]))
            assert await _worker_metric(http, url, "handled") == 1  # by the child
            assert await count(setup, Signal) == 1 and len(await entry_orders(setup)) == 1

            [child] = _children(bot.pid)
            os.kill(child, signal.SIGKILL)

            async def restarted() -> bool:
                return bool(set(_children(bot.pid)) - {child}) and await worker_up()

            await until("a new child worker answers", restarted)
            [again] = _children(bot.pid)
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), DEADLINE_S) == 0, log.read_text()[-3000:]
        with pytest.raises(ProcessLookupError):  # ended (and reaped) with its parent
            os.kill(again, 0)
    finally:
        if bot.returncode is None:
            for child in _children(bot.pid):
                os.kill(child, signal.SIGKILL)
            bot.send_signal(signal.SIGKILL)
            await bot.wait()


@pytest.mark.slow
async def test_an_orphaned_child_worker_ends_itself(
    make_app: AppFactory,
    pg_db: Database,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    tmp_path: Path,
) -> None:
    """Started for a parent it no longer has (as after that parent's SIGKILL), the worker
    stops on its own, cleanly."""
    await make_app(worker=WORKER)  # a clean Redis
    env = _worker_env(pg_db, redis_srv, telegram_api)
    log = tmp_path / "worker.log"
    worker = await _start_worker(env, log, "--parent-pid", str(os.getppid()))  # not its parent
    try:
        assert await asyncio.wait_for(worker.wait(), DEADLINE_S) == 0
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
    assert "signal_worker_orphaned" in log.read_text(errors="replace")
