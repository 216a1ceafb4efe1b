"""A real bot process tracking a channel's signal from candle files is killed (SIGKILL) during
live tracking; after a restart every price step (filled, TP1, the stop) reaches the follower
exactly once and the stored outcome is the one the candles give.

Two moments: while the first step's note is in flight to Telegram (the outcome and the three
outbox rows committed, nothing delivered yet), and after two steps were delivered with the
third step's candle appearing only after the restart (the restarted tracker recomputes the
whole signal, so it tells the new step and none of the old ones again).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from core.clock import utc_now
from core.db.models import OutboxMessage, SignalOutcome
from core.db.session import Database
from core.domain import OutboxStatus
from tests.bot.conftest import TRADER_ID, AppFactory, drain_outbox
from tests.bot.tracking.test_tracking import post_entry, setup_channel, write_candles
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.processes import spawn_bot
from tests.services import RedisServer, free_port

DEADLINE_S: Final = 120.0  # a generous bound for a loaded machine; met in seconds
FILLED: Final = "entry filled at 61,000"
TP1: Final = "TP1 hit at 62,000"
STOP: Final = "stop hit at 58,000"
STEPS: Final = (FILLED, TP1, STOP)
KEY: Final = Fernet.generate_key().decode()  # the setup app and the bot process share it
# one-minute candles from the post on: (open, high, low, close)
FILL_CANDLE: Final = (61500, 61600, 60900, 61200)  # low 60900 <= 61000: filled at 61000
TP1_CANDLE: Final = (61200, 62100, 61100, 62000)
QUIET_CANDLE: Final = (62000, 62050, 61500, 61800)
STOP_CANDLE: Final = (61800, 61900, 57900, 58000)


def _env(
    telegram_api: FakeTelegramAPI, db: Database, redis: RedisServer, candles: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "BOT_TOKEN": "42:TEST-not-a-real-token-but-long-enough",
        "TELEGRAM_API_URL": telegram_api.url,
        "DATABASE_URL": db.url,
        "REDIS_URL": redis.url(),
        "ENCRYPTION_KEY": KEY,
        "TRACKER_ENABLED": "true",
        "TRACKER_INTERVAL": "0.2",
        "TRACKER_CANDLES_DIR": str(candles),
        "OUTBOX_CHAT_RATE": "1000",
        "INBOX_LEASE": "1",
        "LOCK_LEASE_S": "1",
        "POLLING_TIMEOUT": "1",
        "LOG_LEVEL": "WARNING",
        "HEALTH_PORT": str(free_port()),  # not 8081: other bot processes may run meanwhile
    }


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await spawn_bot("run", env=env)


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.communicate()


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, and the process must end cleanly."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()[-2000:]


def _delivered(telegram_api: FakeTelegramAPI, method: str = "sendMessage") -> dict[str, int]:
    """How many calls of ``method`` to the follower carried each step's note."""
    texts = [
        str(params.get("text", ""))
        for params in telegram_api.calls_of(method)
        if int(params.get("chat_id", 0)) == TRADER_ID
    ]
    return {step: sum(1 for t in texts if "Prices:" in t and step in t) for step in STEPS}


async def _alive(process: asyncio.subprocess.Process) -> None:
    """Fail at once, with its last words, when the bot process ended on its own."""
    if process.returncode is not None:
        _, stderr = await process.communicate()
        pytest.fail(f"the bot process ended ({process.returncode}): {stderr.decode()[-2000:]}")


async def _until_api(
    process: asyncio.subprocess.Process,
    telegram_api: FakeTelegramAPI,
    condition: Callable[[], bool],
) -> None:
    """Wait (at most DEADLINE_S) for ``condition`` about the calls the fake API recorded."""
    async with asyncio.timeout(DEADLINE_S):
        while not condition():
            await _alive(process)
            await telegram_api.api.wait_changed(0.5)


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like("trk:%"))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def _price_outcome(db: Database) -> SignalOutcome | None:
    async with db.session() as session:
        return await session.scalar(select(SignalOutcome).where(SignalOutcome.kind == "price"))


async def _until_db(
    process: asyncio.subprocess.Process,
    db: Database,
    condition: Callable[[list[OutboxMessage]], bool],
) -> None:
    """Poll the tracked notes in the outbox until ``condition`` holds (at most DEADLINE_S)."""
    async with asyncio.timeout(DEADLINE_S):
        while True:
            if condition(await _outbox(db)):
                return
            await _alive(process)
            await asyncio.sleep(0.05)


def _nothing_pending(rows: list[OutboxMessage]) -> bool:
    return all(row.status is not OutboxStatus.PENDING for row in rows)


async def _tracked_channel(make_app: AppFactory, telegram_api: FakeTelegramAPI) -> datetime:
    """The channel, its follower and an entry posted 10 minutes ago, set up in process; the
    notes of the setup delivered, so that the bot process only has the tracker's to send."""
    app = await make_app(
        limits={"rate_limit_burst": 1000, "outbox_chat_per_s": 1000},
        tracking={"enabled": False},
        security={"encryption_key": KEY},
    )
    posted = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    await setup_channel(app, telegram_api)
    await post_entry(app, telegram_api, posted)
    await drain_outbox(app)
    await app.aclose()
    telegram_api.token = None  # the bot process has its own token
    return posted


async def _assert_outcome(db: Database) -> None:
    price = await _price_outcome(db)
    assert price is not None
    assert price.result == "tp_partial_then_sl"
    assert price.fill_price == Decimal(61000)
    assert (price.targets_hit, price.stop_hit) == (1, True)
    assert price.r == Decimal("-0.3333")  # half +1000, half -3000, risk 3000
    assert [e["kind"] for e in price.events] == ["filled", "tp", "sl"]
    rows = await _outbox(db)
    assert len(rows) == 3  # one note per step for the one follower
    assert {row.status for row in rows} == {OutboxStatus.SENT}


@pytest.mark.slow
async def test_killed_while_a_step_is_in_flight_tells_each_step_once(
    make_app: AppFactory,
    pg_db: Database,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    tmp_path: Path,
) -> None:
    posted = await _tracked_channel(make_app, telegram_api)
    write_candles(tmp_path, posted, [FILL_CANDLE, TP1_CANDLE, QUIET_CANDLE, STOP_CANDLE])
    env = _env(telegram_api, pg_db, redis_srv, tmp_path)

    telegram_api.hold("sendMessage")  # the first note never gets its answer
    first = await _start(env)
    try:
        await _until_api(
            first, telegram_api, lambda: _delivered(telegram_api, "held:sendMessage")[FILLED] == 1
        )
        # the pass is committed: the outcome and every step's note are stored before a send
        rows = await _outbox(pg_db)
        assert [row.status for row in rows] == [OutboxStatus.PENDING] * 3
        price = await _price_outcome(pg_db)
        assert price is not None and price.result == "tp_partial_then_sl"
    finally:
        await _kill(first)
    telegram_api.release("sendMessage", abandon=True)  # the dead process's request is void
    assert _delivered(telegram_api) == dict.fromkeys(STEPS, 0)
    # the dead sender leased the first note for 60 s (not a setting): that time is over
    async with pg_db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .values(locked_until=utc_now() - timedelta(seconds=1))
        )

    second = await _start(env)
    try:
        await _until_api(second, telegram_api, lambda: all(_delivered(telegram_api).values()))
        await _until_db(second, pg_db, _nothing_pending)
    finally:
        await _stop(second)
    assert _delivered(telegram_api) == dict.fromkeys(STEPS, 1)
    await _assert_outcome(pg_db)


@pytest.mark.slow
async def test_killed_during_live_tracking_resumes_with_the_next_step_only(
    make_app: AppFactory,
    pg_db: Database,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    tmp_path: Path,
) -> None:
    posted = await _tracked_channel(make_app, telegram_api)
    write_candles(tmp_path, posted, [FILL_CANDLE, TP1_CANDLE, QUIET_CANDLE])
    env = _env(telegram_api, pg_db, redis_srv, tmp_path)

    first = await _start(env)
    try:
        await _until_api(first, telegram_api, lambda: _delivered(telegram_api)[TP1] == 1)
        await _until_db(
            first, pg_db, lambda rows: [r.status for r in rows] == [OutboxStatus.SENT] * 2
        )
        price = await _price_outcome(pg_db)
        assert price is not None and price.result == "open"
    finally:
        await _kill(first)  # its tracker runs a pass every 0.2 s: killed wherever it is
    assert _delivered(telegram_api) == {FILLED: 1, TP1: 1, STOP: 0}

    # the stop's candle appears while the bot is down
    write_candles(tmp_path, posted, [FILL_CANDLE, TP1_CANDLE, QUIET_CANDLE, STOP_CANDLE])
    second = await _start(env)
    try:
        await _until_api(second, telegram_api, lambda: _delivered(telegram_api)[STOP] == 1)
        await _until_db(second, pg_db, _nothing_pending)
    finally:
        await _stop(second)
    assert _delivered(telegram_api) == dict.fromkeys(STEPS, 1)
    await _assert_outcome(pg_db)
