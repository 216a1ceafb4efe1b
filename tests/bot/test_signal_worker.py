"""The signal worker (SIGNAL_WORKER, T14): channel posts handed off by the receiving process,
claimed and run by the worker once; run by recovery instead when no worker takes them in time;
never twice when both try; one channel's posts in order.

The receiving process and the worker are two apps on the same PostgreSQL and Redis (two
processes, as far as the inbox and the hand-off queue can tell). Real worker processes are in
tests/bot/test_signal_worker_process.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.types import TelegramObject, Update
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.app import App
from bot.handoff import SIGNALS_KEY, SignalHandoff
from bot.runners import SECRET_HEADER, poll, store_updates, webhook_app
from bot.signal_worker import SignalWorker
from core.clock import utc_now
from core.db.models import InboxUpdate, Order, Signal
from core.db.session import Database
from core.domain import InboxStatus
from services.inbox import HANDOFF_S
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.signals.test_intake import CHANNEL, ENTRY, register
from tests.bot.test_outage_alerts import admin_notes
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.processes import until as wait_until

WORKER = {"signal_worker": "external"}  # handed off; no child started (there is no run_bot)
STATIC = {"price_feed": "static", "static_prices": {"BTC/USDT": "60500", "ETH/USDT": "3000"}}
LIMITS = {"rate_limit_burst": 1000, "outbox_chat_per_s": 1000}
KEY = Fernet.generate_key().decode()  # this test's apps and the worker process share it
DEADLINE_S = 30.0
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CountRuns:
    """An outer middleware on channel posts: which update ids ran, how often (all apps)."""

    def __init__(self) -> None:
        self.runs: Counter[int] = Counter()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update = data["event_update"]
        self.runs[update.update_id] += 1
        return await handler(event, data)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc_now())


async def until(what: str, condition: Callable[[], Awaitable[bool]]) -> None:
    await wait_until(what, condition, DEADLINE_S)


async def count(app: App, model: Any) -> int:
    async with app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def inbox_row(db: Database, update_id: int) -> InboxUpdate:
    async with db.session() as session:
        row = await session.scalar(select(InboxUpdate).where(InboxUpdate.update_id == update_id))
    assert row is not None
    return row


async def entry_orders(app: App) -> list[Order]:
    async with app.db.session() as session:
        orders = await session.scalars(select(Order).order_by(Order.id))
    return [o for o in orders if "-e" in o.client_order_id]  # then TPs and stop


def sample(app: App, outcome: str) -> float:
    value = app.metrics.registry.get_sample_value(
        "tsbot_signal_worker_posts_total", {"outcome": outcome}
    )
    return value or 0.0


async def followed_channel(make_app: AppFactory, telegram_api: FakeTelegramAPI, **kw: Any) -> App:
    """The receiving app (worker mode on, paper at static prices), a registered channel and
    a trader following it on auto."""
    app = await make_app(**{"worker": WORKER, "exchange": STATIC, "limits": LIMITS, **kw})
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 50"))
    return app


def as_update(app: App, raw: dict[str, Any]) -> Update:
    return Update.model_validate(raw, context={"bot": app.bot})


async def test_polling_hands_a_channel_post_to_the_worker_and_handles_chat_itself(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await followed_channel(make_app, telegram_api)
    before = len(telegram_api.calls_of("sendMessage"))
    post = telegram_api.updates.channel_post(CHANNEL, ENTRY)
    telegram_api.feed(post)
    telegram_api.feed(telegram_api.updates.message(TRADER_ID, "/whoami"))
    stop = asyncio.Event()
    polling = asyncio.create_task(poll(app, stop))
    sent = await telegram_api.wait_for("sendMessage", count=before + 1, timeout=DEADLINE_S)
    stop.set()
    await polling  # drained: whatever it spawned has finished
    assert "Telegram id" in sent[-1]["text"]  # the chat update was handled here

    row = await inbox_row(app.db, post["update_id"])
    assert (row.status, row.attempts) == (InboxStatus.PENDING, 0)  # not run here
    assert await count(app, Signal) == 0
    assert app.kv.redis is not None and await app.kv.redis.llen(SIGNALS_KEY) == 1
    assert sample(app, "handed_off") == 1

    worker_app = await make_app(worker=WORKER, exchange=STATIC, limits=LIMITS)
    worker = SignalWorker(worker_app)
    assert await worker.take_one()
    await worker.drain()
    assert await count(app, Signal) == 1
    assert len(await entry_orders(app)) == 1  # the auto follower traded it, once
    row = await inbox_row(app.db, post["update_id"])
    assert (row.status, row.attempts) == (InboxStatus.DONE, 1)
    assert sample(worker_app, "handled") == 1
    assert await app.recover_inbox() == 0  # nothing left for the receiving process


async def test_webhook_hands_a_channel_post_to_the_worker(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await followed_channel(make_app, telegram_api)
    client = TestClient(TestServer(webhook_app(app, "w" * 40, "/hook")))
    await client.start_server()
    post = telegram_api.updates.channel_post(CHANNEL, ENTRY)
    try:
        answer = await client.post("/hook", json=post, headers={SECRET_HEADER: "w" * 40})
        assert answer.status == 200
        again = await client.post("/hook", json=post, headers={SECRET_HEADER: "w" * 40})
        assert again.status == 200  # a redelivery: neither run here nor handed off twice
    finally:
        await client.close()
    assert app.kv.redis is not None and await app.kv.redis.llen(SIGNALS_KEY) == 1
    assert app.metrics.inbox_duplicates._value.get() == 1
    worker = SignalWorker(await make_app(worker=WORKER, exchange=STATIC, limits=LIMITS))
    assert await worker.take_one()
    await worker.drain()
    assert await count(app, Signal) == 1 and len(await entry_orders(app)) == 1


async def test_without_a_worker_recovery_runs_the_post_after_the_handoff_lease(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, clock: FakeClock
) -> None:
    app = await followed_channel(make_app, telegram_api, clock=clock)
    post = as_update(app, telegram_api.updates.channel_post(CHANNEL, ENTRY))
    assert await store_updates(app, [post]) == ([], [post.update_id])
    clock.advance(HANDOFF_S - 1)
    assert await app.recover_inbox() == 0  # the worker may still take it
    clock.advance(2)
    assert await app.recover_inbox() == 1
    await app.inbox.flush()
    assert await count(app, Signal) == 1 and len(await entry_orders(app)) == 1
    # the worker comes late: the row is taken, it runs nothing
    late = await make_app(worker=WORKER, exchange=STATIC, limits=LIMITS, clock=clock)
    worker = SignalWorker(late)
    assert not await worker.take_one()
    assert sample(late, "taken_elsewhere") == 1
    clock.advance(3600)
    assert await app.recover_inbox() == 0
    assert await count(app, Signal) == 1 and len(await entry_orders(app)) == 1


async def test_failover_runs_what_no_worker_took_just_after_the_handoff_lease(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, clock: FakeClock
) -> None:
    """The receiving process's failover pass, on its monotonic clock moved past the lease."""
    app = await followed_channel(make_app, telegram_api, clock=clock)
    assert app.kv.redis is not None
    now = [0.0]
    handoff = SignalHandoff(app.inbox, app.kv.redis, app.metrics, monotonic=lambda: now[0])
    post = as_update(app, telegram_api.updates.channel_post(CHANNEL, ENTRY))
    await handoff.store([post])
    clock.advance(HANDOFF_S + 1)
    now[0] += HANDOFF_S + 1
    stop = asyncio.Event()
    failover = asyncio.create_task(handoff.failover(stop, app.take_back_signal_posts))
    try:
        await until("the failover pass ran the post", lambda: done(app.db, post.update_id))
    finally:
        stop.set()
        await failover
    assert await count(app, Signal) == 1 and len(await entry_orders(app)) == 1
    # the admins are told that no worker took it, once an hour however many passes run
    later = as_update(app, telegram_api.updates.channel_post(CHANNEL, "#ETH/USDT LONG market"))
    # a chat update whose process died, recovered by the same pass, is no worker's post
    chat = as_update(app, telegram_api.updates.message(TRADER_ID, "/whoami"))
    await handoff.store([later, chat])
    clock.advance(app.settings.limits.inbox_lease_s + 1)
    assert await app.take_back_signal_posts() == 1
    assert await done(app.db, chat.update_id)
    notes = [n for n in await admin_notes(app) if "signal worker" in n]
    assert len(notes) == 1 and "No signal worker took 1 channel post(s)" in notes[0]
    assert sample(app, "taken_back") == 2


async def done(db: Database, update_id: int) -> bool:
    """The update is stored and done (False while it is not stored yet)."""
    async with db.session() as session:
        status = await session.scalar(
            select(InboxUpdate.status).where(InboxUpdate.update_id == update_id)
        )
    return status is InboxStatus.DONE


async def test_worker_and_recovery_racing_for_the_same_rows_run_each_once(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, clock: FakeClock
) -> None:
    receiving = await make_app(worker=WORKER, clock=clock)
    worker_app = await make_app(worker=WORKER, clock=clock)
    counter = CountRuns()
    for app in (receiving, worker_app):
        app.dispatcher.channel_post.outer_middleware(counter)
    posts = [
        as_update(receiving, telegram_api.updates.channel_post(-1005000 - i, f"post {i}"))
        for i in range(20)
    ]
    _, handed = await store_updates(receiving, posts)
    assert len(handed) == 20
    clock.advance(HANDOFF_S + 1)  # recovery may take every one of them now, as may the worker
    worker = SignalWorker(worker_app)

    async def work() -> int:
        taken = sum([await worker.take_one(timeout_s=0.1) for _ in range(20)])
        await worker.drain()
        return taken

    taken, recovered = await asyncio.gather(work(), receiving.recover_inbox())
    await receiving.inbox.flush()
    assert taken + recovered == 20
    assert counter.runs == Counter({post.update_id: 1 for post in posts})
    assert sample(worker_app, "handled") == taken
    assert sample(worker_app, "taken_elsewhere") == 20 - taken


async def test_a_channel_post_runs_its_posts_in_order(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """One channel's posts one after another, in the order handed off; others beside them."""
    receiving = await make_app(worker=WORKER)
    worker_app = await make_app(worker=WORKER)
    order: list[tuple[int, str]] = []
    running: Counter[int] = Counter()
    most: Counter[int] = Counter()

    async def record(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat = data["event_chat"].id
        running[chat] += 1
        most[chat] = max(most[chat], running[chat])
        await asyncio.sleep(0)  # let any other post of the chat start, if it could
        order.append((chat, event.text or ""))  # type: ignore[attr-defined]
        running[chat] -= 1
        return await handler(event, data)

    worker_app.dispatcher.channel_post.outer_middleware(record)
    posts = [
        as_update(receiving, telegram_api.updates.channel_post(-1007000 - i % 2, f"p{i}"))
        for i in range(10)
    ]
    await store_updates(receiving, posts)
    worker = SignalWorker(worker_app)
    assert all([await worker.take_one(timeout_s=0.1) for _ in range(10)])
    await worker.drain()
    for chat in (-1007000, -1007001):
        texts = [t for c, t in order if c == chat]
        assert texts == sorted(texts, key=lambda t: int(t[1:])) and len(texts) == 5
        assert most[chat] == 1
