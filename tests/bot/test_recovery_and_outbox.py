"""Inbox recovery across a killed process, and the outbox under Telegram's limits."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import defaultdict
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App
from bot.console.api import MessageEvent
from core.db.models import InboxUpdate, OutboxMessage
from core.db.session import Database
from core.domain import InboxStatus, OutboxStatus
from services.inbox import MAX_ATTEMPTS
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory, drain_outbox
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.processes import spawn_bot
from tests.services import RedisServer, free_port


async def _start_bot(
    telegram_api: FakeTelegramAPI,
    db: Database,
    redis: RedisServer,
    extra: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": "42:TEST-not-a-real-token-but-long-enough",
        "TELEGRAM_API_URL": telegram_api.url,
        "DATABASE_URL": db.url,
        "REDIS_URL": redis.url(),
        "INBOX_LEASE": "1",
        "POLLING_TIMEOUT": "1",
        "LOG_LEVEL": "WARNING",
        "HEALTH_PORT": str(free_port()),  # never the default 8081 another process holds
        **(extra or {}),
    }
    return await spawn_bot("run", env=env)


@pytest.mark.slow
async def test_killed_process_handles_its_batch_after_restart(
    pg_db: Database, redis_srv: RedisServer, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.token = None
    gate = telegram_api.hold("sendMessage")  # the first process never finishes handling
    first = await _start_bot(telegram_api, pg_db, redis_srv)
    try:
        update = telegram_api.updates.message(TRADER_ID, "/whoami")
        telegram_api.feed(update)
        await telegram_api.wait_for("held:sendMessage", timeout=30)
        # the batch was stored and confirmed: Telegram will not deliver it again
        await telegram_api.wait_for("getUpdates", count=2, timeout=30)
        assert update["update_id"] + 1 in telegram_api.offsets
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    async with pg_db.session() as session:
        row = await session.scalar(select(InboxUpdate))
    assert row is not None and row.status is InboxStatus.PENDING
    telegram_api.release("sendMessage", abandon=True)  # the dead process's request is void
    assert gate.is_set()
    second = await _start_bot(telegram_api, pg_db, redis_srv)
    try:
        sent = await telegram_api.wait_for("sendMessage", timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = await second.communicate()
    assert sent[0]["chat_id"] == TRADER_ID and "Telegram id" in sent[0]["text"]
    assert second.returncode == 0, stderr.decode()[-2000:]
    async with pg_db.session() as session:
        row = await session.scalar(select(InboxUpdate))
    assert row is not None and row.status is InboxStatus.DONE
    assert len(telegram_api.calls_of("sendMessage")) == 1  # handled once, not twice


@pytest.mark.slow
async def test_killed_webhook_process_handles_an_acknowledged_update_after_restart(
    pg_db: Database, redis_srv: RedisServer, telegram_api: FakeTelegramAPI
) -> None:
    """F2 in webhook mode: the update is stored before the 200; the process dies right after
    answering (its reply held mid-request, then SIGKILL); Telegram will not send it again, and
    the restarted process handles it from the inbox, once."""
    telegram_api.token = None
    port = free_port()
    webhook = {
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": f"https://bot.example.com/hook/{port}",
        "WEBHOOK_SECRET": "s" * 40,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_PATH": "/hook",
    }
    gate = telegram_api.hold("sendMessage")
    first = await _start_bot(telegram_api, pg_db, redis_srv, webhook)
    update = telegram_api.updates.message(TRADER_ID, "/whoami")
    try:
        await telegram_api.wait_for("setWebhook", timeout=30)
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s" * 40},
            ) as answer,
        ):
            assert answer.status == 200  # acknowledged: Telegram is done with it
        await telegram_api.wait_for("held:sendMessage", timeout=30)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    telegram_api.release("sendMessage", abandon=True)  # the dead process's request is void
    assert gate.is_set()
    second = await _start_bot(telegram_api, pg_db, redis_srv, webhook)
    try:
        sent = await telegram_api.wait_for("sendMessage", timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = await second.communicate()
    assert sent[0]["chat_id"] == TRADER_ID and "Telegram id" in sent[0]["text"]
    assert second.returncode == 0, stderr.decode()[-2000:]
    async with pg_db.session() as session:
        row = await session.scalar(select(InboxUpdate))
    assert row is not None and row.status is InboxStatus.DONE
    assert len(telegram_api.calls_of("sendMessage")) == 1  # handled once, not twice


async def test_outbox_delivers_everything_within_limits(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app: App = await make_app()
    sent_at: dict[int, list[float]] = defaultdict(list)
    all_sent: list[float] = []

    def record(event: MessageEvent) -> None:
        if event.kind == "sent":
            now = time.monotonic()
            sent_at[event.chat_id].append(now)
            all_sent.append(now)

    telegram_api.api.on_message = record
    chats = [10_000 + i for i in range(50)]
    notifier = app.notifier
    for round_ in range(4):
        for chat in chats:
            await notifier.notify(
                chat, f"signal {round_} for {chat}", dedupe_key=f"{chat}:{round_}"
            )
    telegram_api.fail("sendMessage", 429, retry_after=1, times=5)
    stop = asyncio.Event()
    runner = asyncio.create_task(app.outbox.run(stop))
    await telegram_api.wait_for("sendMessage", count=205, timeout=60)  # 200 + 5 refused
    stop.set()
    app.outbox.wake()
    await runner
    texts = [c["text"] for c in telegram_api.calls_of("sendMessage")]
    assert sum(len(v) for v in sent_at.values()) == 200
    delivered = [m["text"] for chat in chats for m in telegram_api.messages(chat)]
    assert sorted(delivered) == sorted(set(delivered)) and len(delivered) == 200  # none twice
    assert len(texts) == 205
    for chat, times in sent_at.items():
        assert len(times) == 4, chat
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= 0.95, (chat, gaps)  # 1/s per chat (tolerance for clock jitter)
    all_sent.sort()
    window_max = max(sum(1 for t in all_sent if start <= t < start + 1.0) for start in all_sent)
    assert window_max <= 25 + 1, window_max  # global budget 25/s
    async with app.db.session() as session:
        statuses = list(await session.scalars(select(OutboxMessage.status)))
    assert statuses.count(OutboxStatus.SENT) == 200


async def test_outbox_gives_up_on_blocked_users_and_bad_requests(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app: App = await make_app()
    await app.users.ensure(TRADER_ID, None, "T")
    notifier = app.notifier
    await notifier.notify(777, "bad one")  # first in line: meets the injected 400
    await notifier.notify(TRADER_ID, "you blocked me")
    telegram_api.api.block(TRADER_ID)
    telegram_api.fail("sendMessage", 400, "Bad Request: chat not found", times=1)
    await drain_outbox(app)
    async with app.db.session() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [r.status for r in rows] == [OutboxStatus.FAILED, OutboxStatus.FAILED]
    assert all(r.error for r in rows)
    user = await app.users.get(TRADER_ID)
    assert user is not None and not user.is_active


async def test_outbox_retries_server_errors(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app: App = await make_app()
    await app.notifier.notify(555, "eventually")
    telegram_api.fail("sendMessage", 502, times=1)
    await app.outbox.drain_once()
    async with app.db.session() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None and row.status is OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at > app.clock()


async def test_long_notifications_are_split_on_lines(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app: App = await make_app()
    text = "\n".join(f"line {i} " + "x" * 80 for i in range(120))  # ~10k characters
    queued = await app.notifier.notify(556, text, dedupe_key="long")
    assert queued == 3
    assert await app.notifier.notify(556, text, dedupe_key="long") == 0
    stop = asyncio.Event()
    runner = asyncio.create_task(app.outbox.run(stop))
    sent = await telegram_api.wait_for("sendMessage", count=3)  # 1/s for this chat
    stop.set()
    app.outbox.wake()
    await runner
    assert all(len(c["text"]) <= 4096 for c in sent)
    assert "\n".join(c["text"] for c in sent) == text


async def test_a_parked_poison_update_is_reported_to_the_admins(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app: App = await make_app()
    async with app.db.transaction() as session:
        session.add(
            InboxUpdate(
                update_id=4242,
                payload=app.keystore.seal('{"update_id": 4242}'),
                status=InboxStatus.PENDING,
                attempts=MAX_ATTEMPTS,
                locked_until=app.clock() - timedelta(seconds=1),
            )
        )
    assert await app.recover_inbox() == 0  # parked, not run
    assert await app.report_parked() == 1
    async with app.db.session() as session:
        [note] = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == ADMIN_ID))
        )
        row = await session.scalar(select(InboxUpdate).where(InboxUpdate.update_id == 4242))
    assert "4242" in note.text and "parked" in note.text
    assert row is not None and row.status is InboxStatus.FAILED
