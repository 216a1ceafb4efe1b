"""A real bot process while redis-server, then PostgreSQL, are really stopped and started again
(issue 13 defect 6, faults F10 and F11): channel posts that arrive during each outage are each
handled once when the service is back, every auto follower (paper and live on the fake Binance)
gets one plan and one entry order per signal, and every note is sent once.

The test owns its PostgreSQL cluster and redis-server (``tests/services.py``): the session-wide
ones other tests share are never stopped. Redis is killed (SIGKILL, its data gone: it holds
only locks, limits and FSM state); PostgreSQL stops with ``pg_ctl stop -m fast``. Every wait is
on a condition with a deadline, never a fixed sleep.

- Redis away: the update is stored (PostgreSQL is up) and its handler fails on Redis; the row
  stays pending and inbox recovery re-runs it after its lease; the test starts Redis again once
  the row was tried twice (so a re-run during the outage failed too). The live entries need no
  Redis (a cache that is away is skipped), so they may go out before the handler fails, in
  the outage: at most once, which the re-runs must keep.
- PostgreSQL away: ``getUpdates`` answers but the batch cannot be stored, so it is not
  confirmed; Telegram serves it again until the store works. The test starts PostgreSQL again
  once the post was served three times unconfirmed.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from aiogram.client.telegram import TelegramAPIServer
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.app import App, build_app
from core.db import migrate
from core.db.models import (
    ExchangeAccount,
    InboxUpdate,
    Order,
    OutboxMessage,
    PlanLeg,
    Signal,
    TradePlan,
    User,
)
from core.db.session import Database
from core.domain import InboxStatus, LegKind, OrderStatus, OutboxStatus
from tests.bot.conftest import TOKEN, TRADER_ID, drain_outbox, feed, make_settings
from tests.bot.plans.helpers import live_follower
from tests.bot.signals.test_intake import CHANNEL, register
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.telegram_api import FakeTelegramAPI, LoopbackSession
from tests.faults.bot_process import BotProcess, until
from tests.services import (
    PostgresServer,
    RedisServer,
    free_port,
    postgres_server,
    redis_server,
)

DEADLINE_S: Final = 45.0  # for each wait; met in a few seconds
NOTES_DEADLINE_S: Final = 15.0  # the sender polls every second
# A note the sender claimed while Redis was away stays leased for the outbox's 60 s (a fixed
# lease, meant for a dead sender) before it is tried again: when the outage catches the
# sender mid-drain (about one run in twenty here), the notes come up to a minute late.
OUTBOX_LEASE_S: Final = 60.0
PAPER_FOLLOWER: Final = 2302
PRICES: Final = {"BTC/USDT": "61500", "ETH/USDT": "3000"}
DURING_REDIS: Final = "BTC/USDT LONG\nEntry: market\nTP1: 62000\nTP2: 64000\nSL: 58000"
DURING_POSTGRES: Final = "ETH/USDT LONG\nEntry: market\nTP1: 3100\nTP2: 3200\nSL: 2900"
ORDER_PATH: Final = "/api/v3/order"

# stopped services are a long fault run: `make faults` (issue 13), not `make test`
pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Stack:
    """The test's own services and fakes, and how to reach them."""

    pg: PostgresServer
    redis: RedisServer
    db: Database
    telegram_api: FakeTelegramAPI
    exchange: FakeExchangeAPI
    markets: Path
    key: str


@pytest.fixture
def own_services() -> Iterator[tuple[PostgresServer, RedisServer]]:
    """A PostgreSQL cluster and a redis-server of this test alone: it stops and starts them."""
    with postgres_server() as pg, redis_server() as redis:
        yield pg, redis


@pytest.fixture
async def stack(
    own_services: tuple[PostgresServer, RedisServer],
    telegram_api: FakeTelegramAPI,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    pg, redis = own_services
    db = Database(pg.url())
    await migrate.upgrade(db)
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    async with FakeExchangeAPI(balances={"USDT": "1000"}, prices=PRICES) as exchange:
        yield Stack(
            pg, redis, db, telegram_api, exchange, tmp_path, Fernet.generate_key().decode()
        )
    await db.aclose()


async def _followers(stack: Stack) -> int:
    """The channel, a live auto follower (market entries of 100 USDT on the fake Binance) and
    a paper auto follower, set up in process on the test's services; returns the last outbox
    row of the setup."""
    settings = make_settings(
        stack.db.url,
        stack.redis.url(),
        exchange={
            "api_url_override": stack.exchange.url,
            "markets_dir": str(stack.markets),
            "price_feed": "static",
            "static_prices": PRICES,
        },
        security={"encryption_key": stack.key},
    )
    app: App = await build_app(
        settings,
        session=LoopbackSession(api=TelegramAPIServer.from_base(stack.telegram_api.url)),
        token=TOKEN,
        configure_logs=False,
    )
    try:
        api = stack.telegram_api
        await register(app, api)
        await live_follower(app, api, TRADER_ID, entry="market", size="100")
        await feed(app, api.updates.message(PAPER_FOLLOWER, "/start"))
        await feed(app, api.updates.message(PAPER_FOLLOWER, "/follow 1 auto 100"))
        await drain_outbox(app)  # the setup's replies: out of the way
        async with app.db.session() as session:
            last_note = await session.scalar(select(func.max(OutboxMessage.id)))
    finally:
        await app.aclose()
    api.token = None  # the bot process has its own token
    return last_note or 0


def _env(stack: Stack) -> dict[str, str]:
    prices = ",".join(f"{symbol}={price}" for symbol, price in PRICES.items())
    return {
        **os.environ,
        "BOT_TOKEN": "42:TEST-not-a-real-token-but-long-enough",
        "TELEGRAM_API_URL": stack.telegram_api.url,
        "DATABASE_URL": stack.db.url,
        "REDIS_URL": stack.redis.url(),
        "ENCRYPTION_KEY": stack.key,
        "ADMIN_IDS": "1001",
        "EXCHANGE_API_URL": stack.exchange.url,
        "EXCHANGE_MARKETS_DIR": str(stack.markets),
        "PRICE_FEED": "static",
        "STATIC_PRICES": prices,
        "RECONCILE_INTERVAL": "0.5",
        "OUTBOX_CHAT_RATE": "1000",
        "INBOX_LEASE": "1",
        "LOCK_LEASE_S": "1",
        "POLLING_TIMEOUT": "1",
        "LOG_LEVEL": "WARNING",
        "HEALTH_PORT": str(free_port()),  # never the default 8081 another process holds
    }


async def _until(
    bot: BotProcess, what: str, condition: Callable[[], Awaitable[bool] | bool]
) -> None:
    await until(bot, what, condition, DEADLINE_S)


async def _inbox_row(db: Database, update_id: int) -> InboxUpdate | None:
    async with db.session() as session:
        return await session.scalar(select(InboxUpdate).where(InboxUpdate.update_id == update_id))


async def _tried(db: Database, update_id: int) -> bool:
    """The update was handled to its end, or deferred and re-run in vain at least once."""
    row = await _inbox_row(db, update_id)
    if row is None:
        return False
    return row.status is not InboxStatus.PENDING or row.attempts >= 2


async def _traded(stack: Stack, signals: int) -> bool:
    """``signals`` signals, a plan for each follower on each, every inbox row finished, every
    entry leg linked to its order and no order left pending or unknown."""
    async with stack.db.session() as session:
        plans = await session.scalar(select(func.count()).select_from(TradePlan))
        inbox = set(await session.scalars(select(InboxUpdate.status)))
        orders = set(await session.scalars(select(Order.status)))
        unlinked = await session.scalar(
            select(func.count())
            .select_from(PlanLeg)
            .where(PlanLeg.kind == LegKind.ENTRY, PlanLeg.order_id.is_(None))
        )
    return (
        plans == 2 * signals
        and inbox <= {InboxStatus.DONE, InboxStatus.FAILED}
        and unlinked == 0
        and not orders & {OrderStatus.PENDING, OrderStatus.UNKNOWN}
    )


async def _told(stack: Stack) -> bool:
    """Every note in the outbox was sent (or given up)."""
    async with stack.db.session() as session:
        outbox = set(await session.scalars(select(OutboxMessage.status)))
    return outbox <= {OutboxStatus.SENT, OutboxStatus.FAILED}


class NotesNeverSent(AssertionError):
    """The follower notes stayed in the outbox after the service came back."""


async def _state(stack: Stack) -> str:
    """What the database holds, for a failure message."""
    async with stack.db.session() as session:
        inbox = [
            (r.update_id, r.status.value, r.attempts, r.error)
            for r in await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))
        ]
        plans = [
            (p.id, p.signal_id, p.user_id, p.status.value)
            for p in await session.scalars(select(TradePlan).order_by(TradePlan.id))
        ]
        orders = [
            (o.id, o.user_id, o.client_order_id, o.status.value)
            for o in await session.scalars(select(Order).order_by(Order.id))
        ]
        outbox = [
            (m.id, m.chat_id, m.status.value, m.attempts, m.locked_until, m.next_attempt_at)
            for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    return f"inbox {inbox}\nplans {plans}\norders {orders}\noutbox {outbox}"


async def _wait_traded(stack: Stack, bot: BotProcess, signals: int) -> None:
    try:
        await _until(bot, f"{signals} signal(s) traded", lambda: _traded(stack, signals))
    except pytest.fail.Exception as exc:
        pytest.fail(f"{exc.msg}\n{await _state(stack)}")


async def _wait_told(stack: Stack, bot: BotProcess, deadline_s: float) -> None:
    """Every note goes out within ``deadline_s``."""
    try:
        async with asyncio.timeout(deadline_s):
            while not await _told(stack):
                bot.alive()
                await asyncio.sleep(0.05)  # polling interval
    except TimeoutError:
        raise NotesNeverSent(await _state(stack)) from None


async def _start_bot(stack: Stack, tmp_path: Path) -> tuple[BotProcess, int, int]:
    """The followers set up, then the bot process polling; the setup's last note and the
    sendMessage calls made so far (what the bot process sends comes after)."""
    setup_notes = await _followers(stack)
    setup_sends = len(stack.telegram_api.calls_of("sendMessage"))
    bot = BotProcess(_env(stack), tmp_path / "bot.log")
    await bot.start()
    await _until(bot, "polling", lambda: bool(stack.telegram_api.calls_of("getUpdates")))
    return bot, setup_notes, setup_sends


async def test_a_post_during_a_redis_outage_is_traded_once_when_redis_is_back(
    stack: Stack, tmp_path: Path
) -> None:
    bot, setup_notes, setup_sends = await _start_bot(stack, tmp_path)
    try:
        stack.redis.stop()
        update = stack.telegram_api.updates.channel_post(CHANNEL, DURING_REDIS)
        stack.telegram_api.feed(update)
        update_id = int(update["update_id"])
        await _until(
            bot, "the post handled while Redis is away", lambda: _tried(stack.db, update_id)
        )
        # the entry may go out during the outage (the exchange path needs no Redis); the
        # re-run during it must not send it again
        assert stack.exchange.count("POST", ORDER_PATH) <= 1
        stack.redis.start()
        await _wait_traded(stack, bot, 1)
        await _assert_each_once(stack, {update_id: DURING_REDIS})
        await _wait_told(stack, bot, OUTBOX_LEASE_S + NOTES_DEADLINE_S)
    finally:
        code = await bot.stop()
    assert code == 0, bot.tail()
    await _assert_each_once(stack, {update_id: DURING_REDIS})  # and nothing more since
    await _assert_notes_once(stack, setup_notes, setup_sends, ("BTC",))


async def test_a_post_during_a_postgres_outage_is_traded_once_when_postgres_is_back(
    stack: Stack, tmp_path: Path
) -> None:
    bot, setup_notes, setup_sends = await _start_bot(stack, tmp_path)
    api = stack.telegram_api
    try:
        stack.pg.stop()
        polls = len(api.calls_of("getUpdates"))
        update = api.updates.channel_post(CHANNEL, DURING_POSTGRES)
        api.feed(update)
        # one poll in flight returns it; each next one comes after a failed store (and backoff)
        await _until(
            bot,
            "the post served again and again while PostgreSQL is away",
            lambda: len(api.calls_of("getUpdates")) >= polls + 3,
        )
        assert update in api.pending  # never confirmed to Telegram
        # the entry may go out during the outage (the exchange path needs no Redis); the
        # re-run during it must not send it again
        assert stack.exchange.count("POST", ORDER_PATH) <= 1
        stack.pg.start()
        await _wait_traded(stack, bot, 1)
        await _assert_each_once(stack, {int(update["update_id"]): DURING_POSTGRES})
        await _wait_told(stack, bot, NOTES_DEADLINE_S)
    finally:
        code = await bot.stop()
    assert code == 0, bot.tail()
    await _assert_each_once(stack, {int(update["update_id"]): DURING_POSTGRES})
    await _assert_notes_once(stack, setup_notes, setup_sends, ("ETH",))


async def _assert_each_once(stack: Stack, posts: dict[int, str]) -> None:
    """Each post's update handled once (done, one signal), one plan and one entry order per
    follower, and the exchange holds exactly the orders the database confirms, none twice."""
    async with stack.db.session() as session:
        inbox = {
            row.update_id: row
            for row in await session.scalars(
                select(InboxUpdate).where(InboxUpdate.update_id.in_(posts))
            )
        }
        signals = list(await session.scalars(select(Signal)))
        plans = list(await session.scalars(select(TradePlan)))
        orders = list(await session.scalars(select(Order)))
        entries = list(await session.scalars(select(PlanLeg).where(PlanLeg.kind == LegKind.ENTRY)))
        accounts = {a.id: a for a in await session.scalars(select(ExchangeAccount))}
        users = {u.id: u.telegram_id for u in await session.scalars(select(User))}
    assert {uid: (row.status, row.error) for uid, row in inbox.items()} == {
        uid: (InboxStatus.DONE, None) for uid in posts
    }
    assert sorted(s.raw_text for s in signals) == sorted(posts.values())
    pairs = Counter((p.signal_id, users[p.user_id]) for p in plans)
    assert pairs == Counter(
        {(s.id, who): 1 for s in signals for who in (TRADER_ID, PAPER_FOLLOWER)}
    ), pairs
    # one entry leg per plan (never re-placed), linked to its order, each order stored once
    assert Counter(leg.plan_id for leg in entries) == Counter(p.id for p in plans), entries
    assert len({o.client_order_id for o in orders}) == len(orders)
    entry_orders = {leg.order_id for leg in entries}
    assert None not in entry_orders
    assert all(o.exchange_order_id for o in orders if o.id in entry_orders)
    # the live follower: the exchange holds exactly the orders the database confirms
    live = [o for o in orders if not accounts[o.account_id].is_paper]
    assert len([o for o in live if o.id in entry_orders]) == len(posts)
    at_exchange = Counter(o.client_order_id for o in stack.exchange.orders)
    assert all(n == 1 for n in at_exchange.values()), at_exchange  # none twice
    assert set(at_exchange) == {o.client_order_id for o in live if o.exchange_order_id}
    sent = Counter(
        r.params.get("newClientOrderId")
        for r in stack.exchange.requests
        if r.method == "POST" and r.path == ORDER_PATH
    )
    assert all(n == 1 for n in sent.values()), sent  # and each sent once


async def _assert_notes_once(
    stack: Stack, setup_notes: int, setup_sends: int, bases: tuple[str, ...]
) -> None:
    """Each follower was told about each signal (by base asset); no note sent twice."""
    async with stack.db.session() as session:
        notes = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.id > setup_notes))
        )
    assert {n.status for n in notes} == {OutboxStatus.SENT}
    sends = stack.telegram_api.calls_of("sendMessage")[setup_sends:]
    for who in (TRADER_ID, PAPER_FOLLOWER):
        texts = [n.text for n in notes if n.chat_id == who]
        assert all(any(base in t for t in texts) for base in bases), texts
        delivered = Counter(str(c.get("text")) for c in sends if int(c.get("chat_id", 0)) == who)
        assert all(n == 1 for n in delivered.values()), delivered
        assert sum(delivered.values()) == len(texts), (delivered, texts)
