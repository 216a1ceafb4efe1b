"""One chat's messages leave in the order they were queued, whatever fails and however many
senders drain the outbox; other chats are never held up by it (PostgreSQL and SQLite)."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from sqlalchemy import select

from bot.outbox import OutboxSender
from core.cache import KeyValue, MemoryCache, MemoryLocks, RateDecision
from core.config import LimitsSettings
from core.db.models import OutboxMessage
from core.db.repositories.outbox import OutboxRepository
from core.db.session import Database
from core.domain import OutboxStatus
from core.metrics import Metrics
from services.notifications import OutboxNotifier
from services.users import UserService
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import RecordingSession

ALICE, BOB, GROUP = 7001, 7002, -7003


class AllowAll:
    """A rate limiter that never refuses: the budgets are tested elsewhere; here only order."""

    async def hit(self, key: str, *, rate: float, burst: int, cost: int = 1) -> RateDecision:
        return RateDecision(allowed=True, retry_after=0.0)


class InFlight:
    """A Bot API request middleware that remembers, per chat, how many sends overlap."""

    def __init__(self) -> None:
        self.now: dict[int, int] = defaultdict(int)
        self.most = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        target = method.chat_id if isinstance(method, SendMessage) else None
        if target is None:
            return await make_request(bot, method)
        chat = int(target)
        self.now[chat] += 1
        self.most = max(self.most, self.now[chat])
        try:
            await asyncio.sleep(0)  # let other senders interleave here
            return await make_request(bot, method)
        finally:
            self.now[chat] -= 1


@asynccontextmanager
async def senders(
    db: Database, clock: FakeClock, workers: int = 1, batch: int = 5
) -> AsyncIterator[tuple[list[OutboxSender], RecordingSession, InFlight]]:
    """``workers`` senders, each on its own engine (as separate processes would be), sharing
    one recording Bot API."""
    session = RecordingSession()
    in_flight = InFlight()
    session.middleware(in_flight)
    bot = Bot("42:TEST", session=session)
    kv = KeyValue(MemoryCache(lambda: clock().timestamp()), AllowAll(), MemoryLocks())
    limits = LimitsSettings()
    engines = [Database(db.url) for _ in range(workers)]
    out = [
        OutboxSender(
            bot, engine, kv, limits, UserService(engine), Metrics(), clock=clock, batch_size=batch
        )
        for engine in engines
    ]
    try:
        yield out, session, in_flight
    finally:
        for engine in engines:
            await engine.aclose()
        await bot.session.close()


def texts(session: RecordingSession, chat_id: int) -> list[str]:
    return [m["text"] for m in session.recording_api.messages(chat_id)]


async def drain_all(
    db: Database, clock: FakeClock, workers: list[OutboxSender], between: Callable[[], None]
) -> None:
    """Drain with every worker at once until nothing is pending; when nothing is due, move
    the clock to the next due row (no sleeping)."""
    for _ in range(10_000):
        between()
        handled = await asyncio.gather(*(w.drain_once() for w in workers))
        if sum(handled):
            continue
        async with db.session() as session:
            due = await OutboxRepository(session).next_due_at()
        if due is None:
            return
        assert due > clock(), "a due row was not claimed"
        clock.now = due
    raise AssertionError("the outbox never emptied")


async def statuses(db: Database) -> list[tuple[str, OutboxStatus]]:
    async with db.session() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.text, r.status) for r in rows]


@pytest.mark.parametrize(
    ("code", "retry_after", "wait_s"),
    [(502, None, 1.0), (429, 5, 5.0)],
    ids=["server-error", "retry-after"],
)
async def test_a_failed_first_message_holds_its_chat_only(
    db: Database, code: int, retry_after: int | None, wait_s: float
) -> None:
    clock = FakeClock()
    notifier = OutboxNotifier(db)
    for text in ("A1", "A2"):
        await notifier.notify(ALICE, text)
    await notifier.notify(BOB, "B1")
    await notifier.notify(ALICE, "A3")
    async with senders(db, clock, batch=2) as ([sender], api, _):
        api.fail("sendMessage", code, retry_after=retry_after, times=1)  # A1 meets it
        await sender.drain_once()
        assert texts(api, BOB) == ["B1"]  # another chat goes on
        assert texts(api, ALICE) == []
        clock.advance(wait_s - 0.5)
        while await sender.drain_once():  # due rows behind A1 are never claimed
            pass
        assert texts(api, ALICE) == []
        async with db.session() as session:
            due = await OutboxRepository(session).next_due_at()
        assert due is not None and (due - clock()).total_seconds() == pytest.approx(0.5)
        clock.advance(0.5)
        while await sender.drain_once():
            pass
    assert texts(api, ALICE) == ["A1", "A2", "A3"]
    assert [s for _, s in await statuses(db)] == [OutboxStatus.SENT] * 4


async def test_a_message_failed_for_good_releases_the_ones_behind_it(db: Database) -> None:
    clock = FakeClock()
    notifier = OutboxNotifier(db)
    for text in ("A1", "A2", "A3"):
        await notifier.notify(ALICE, text)
    async with senders(db, clock) as ([sender], api, _):
        api.fail("sendMessage", 400, "Bad Request: can't parse entities", times=1)
        while await sender.drain_once():
            pass
    assert texts(api, ALICE) == ["A2", "A3"]
    assert [s for _, s in await statuses(db)] == [
        OutboxStatus.FAILED,
        OutboxStatus.SENT,
        OutboxStatus.SENT,
    ]


async def test_a_chat_in_retry_does_not_hold_new_chats(db: Database) -> None:
    """Every retry of a chat's head is counted; the rest of the outbox keeps flowing."""
    clock = FakeClock()
    notifier = OutboxNotifier(db)
    await notifier.notify(ALICE, "A1")
    await notifier.notify(ALICE, "A2")
    async with senders(db, clock) as ([sender], api, _):
        api.fail("sendMessage", 502, times=3)
        for n in range(3):
            await notifier.notify(BOB, f"B{n}")
            await sender.drain_once()  # A1 fails, then B<n> goes
            clock.advance(2**n)  # A1's backoff: 1 s, 2 s, 4 s
            while await sender.drain_once():
                pass
        assert texts(api, BOB) == ["B0", "B1", "B2"]
        assert texts(api, ALICE) == ["A1", "A2"]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_concurrent_senders_keep_each_chats_order(db: Database, seed: int) -> None:
    """Property: with several senders claiming at once and random faults (server errors,
    retry-after, network-free 400s), every chat receives its delivered messages in the order
    they were queued, none twice, and never has two messages in flight; every row ends."""
    rng = random.Random(seed)
    clock = FakeClock()
    notifier = OutboxNotifier(db)
    chats = [ALICE, BOB, GROUP, *(8000 + i for i in range(5))]
    queued: dict[int, list[str]] = defaultdict(list)
    for n in range(60):
        chat = rng.choice(chats)
        text = f"{chat}:{n}"
        queued[chat].append(text)
        await notifier.notify(chat, text)

    async with senders(db, clock, workers=4) as (workers, api, in_flight):

        def inject() -> None:
            if rng.random() < 0.3:
                code = rng.choice([502, 429, 400])
                api.fail("sendMessage", code, "Bad Request: nope" if code == 400 else None)

        await drain_all(db, clock, workers, inject)

    rows = await statuses(db)
    assert all(s in {OutboxStatus.SENT, OutboxStatus.FAILED} for _, s in rows)
    sent = {text for text, s in rows if s is OutboxStatus.SENT}
    for chat, expected in queued.items():
        delivered = texts(api, chat)
        assert delivered == [t for t in expected if t in sent], chat  # queue order, once each
    assert in_flight.most == 1


async def test_claims_hand_out_only_chat_heads(db: Database) -> None:
    """Two claims at once never return two rows of one chat, nor one row twice."""
    clock = FakeClock()
    notifier = OutboxNotifier(db)
    for n in range(4):
        for chat in (ALICE, BOB, GROUP):
            await notifier.notify(chat, f"{chat}:{n}")
    engines = [Database(db.url) for _ in range(3)]
    try:

        async def claim(engine: Database) -> list[tuple[int, int]]:
            async with engine.transaction() as session:
                rows = await OutboxRepository(session).claim_due(
                    clock(), limit=10, lease=timedelta(seconds=60)
                )
                return [(r.chat_id, r.id) for r in rows]

        results: list[list[tuple[int, int]]] = await asyncio.gather(*(claim(e) for e in engines))
    finally:
        for engine in engines:
            await engine.aclose()
    claimed = [row for rows in results for row in rows]
    assert sorted(chat for chat, _ in claimed) == sorted([ALICE, BOB, GROUP])
    async with db.session() as session:
        firsts = {
            chat: await session.scalar(
                select(OutboxMessage.id)
                .where(OutboxMessage.chat_id == chat)
                .order_by(OutboxMessage.id)
                .limit(1)
            )
            for chat in (ALICE, BOB, GROUP)
        }
    assert {chat: row_id for chat, row_id in claimed} == firsts
