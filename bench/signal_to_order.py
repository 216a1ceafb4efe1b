"""Signal-to-order benchmark: one channel post -> the first order of N auto followers accepted.

Starts its own throwaway PostgreSQL and redis-server (as the tests do), builds the real app
(``bot.app.build_app`` with the default settings: pool of 10 + 10, followers served
``services.trade_plans.intake.CONCURRENCY`` at a time) talking to the fake Bot API, registers a
channel, and writes N traders and their subscriptions straight into the database (auto mode,
100 USDT, market entry, so each plan's first order goes out at once). Then one channel post is
fed through the dispatcher and timed, on two exchanges:

- paper: every follower on its paper spot account (the paper engine on PostgreSQL);
- ccxt: every follower on a live Binance account (keys sealed by the app's key store) served by
  ``tests.fakes.exchange_api.FakeExchangeAPI`` over HTTP on 127.0.0.1, in a child process so the
  exchange's work is not charged to the bot's event loop; real ccxt, saved markets.

What is measured: ``t0`` is taken just before the post's update enters the dispatcher; an
order is *accepted* when the exchange client's ``create_order`` returns (the exchange answered
and did not refuse; the bot records the answer right after). Per follower: post -> its first
order accepted (``p50_ms``, ``p99_ms``, ``last_follower_ms`` = the slowest, i.e. the Nth
follower's order); and the order's own service time, from the moment the follower's turn came
(``PlanIntake._plan_for`` entered, past the concurrency gate) to accepted (``order_p50_ms``,
``order_p99_ms``). Two posts are timed per exchange: the first after start (``cold``: paper
accounts created and ccxt clients built on first use) and a second signal on another pair
(``warm``: the steady state); the top-level figures of each exchange are the warm ones.

Targets (issue 9): p99 under 50 ms per order, the Nth follower's order within 5 s of the post.
Run: ``python bench/signal_to_order.py [N] [--only paper|ccxt] [--profile] [--pool P]``
(``--pool``: another DB_POOL_SIZE); each post also reports its SQL statements and the bot
process's CPU time per follower. The last line is one JSON object (``paper`` and ``ccxt``
sub-objects; the top-level ``p50_ms``, ``p99_ms``, ``last_follower_ms`` are the warm figures
of the first exchange run, paper's unless ``--only ccxt``). ``--profile`` runs the warm post
under cProfile and prints the top entries (times are then inflated; the figures printed are
from that run).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ccxt.async_support as ccxt_async  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import Update  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from core.clock import utc_now  # noqa: E402
from core.config import load_settings  # noqa: E402
from core.db import migrate  # noqa: E402
from core.db.models import ExchangeAccount, Order, Source, Subscription, TradePlan, User  # noqa: E402
from core.db.session import Database  # noqa: E402
from core.domain import MarketType, Role, SubscriptionMode  # noqa: E402
from core.heap import settle_heap  # noqa: E402
from core.logging import configure_logging  # noqa: E402
from services.exchange.base import OrderRequest, OrderResult  # noqa: E402
from services.exchange.ccxt_client import CcxtExchangeClient  # noqa: E402
from services.exchange.paper import PaperExchange  # noqa: E402
from services.trade_plans import batch, intake, live_batch  # noqa: E402
from services.trade_plans.settings import EntryStrategy, FollowSettings  # noqa: E402
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, LoopbackSession  # noqa: E402
from tests.services import postgres_server, redis_server  # noqa: E402

CHANNEL = -1001234567890
OWNER_ID = 5005
FIRST_FOLLOWER = 100_000
TOKEN = "42:TEST"
PRICES = {"BTC/USDT": "50000", "ETH/USDT": "3000"}
POSTS = {
    "cold": "BTC/USDT LONG\nEntry: 49500-50500\nTP1: 52000\nTP2: 54000\nSL: 48000",
    "warm": "ETH/USDT LONG\nEntry: 2950-3050\nTP1: 3150\nTP2: 3300\nSL: 2850",
}
SIZE = Decimal(100)
EXCHANGES = ("paper", "ccxt")


# -- timing ----------------------------------------------------------------------------------


class Stopwatch:
    """When each order was accepted (by client order id) and each follower's turn came, and
    the SQL statements run (by their first words) while counting."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}
        self.turn: dict[int, float] = {}  # user id -> PlanIntake._plan_for entered
        self.statements: Counter[str] = Counter()
        self.counting = False
        self.cpu: dict[str, float] = {}  # client order id -> the bot's CPU time when accepted

    def reset(self) -> None:
        self.accepted.clear()
        self.turn.clear()
        self.statements.clear()
        self.cpu.clear()

    def watch_sql(self, app: App) -> None:
        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if self.counting:
                self.statements[" ".join(statement.split())[:90]] += 1

        event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)


def instrument(watch: Stopwatch) -> None:
    """Wrap the exchange clients' ``create_order`` and the intake's per-follower step."""

    def timed(
        original: Callable[[Any, OrderRequest], Awaitable[OrderResult]],
    ) -> Callable[[Any, OrderRequest], Awaitable[OrderResult]]:
        async def create_order(self: Any, request: OrderRequest) -> OrderResult:
            result = await original(self, request)
            watch.accepted.setdefault(request.client_order_id, time.perf_counter())
            watch.cpu.setdefault(request.client_order_id, time.process_time())
            return result

        return create_order

    # ccxt sleeps 250 ms in every client's close() and the factory closes its clients one after
    # another: 1,000 live accounts would add four minutes to the bench's shutdown (not measured)
    ccxt_async.Exchange.timeout_on_exit = 0
    for cls in (PaperExchange, CcxtExchangeClient):
        # a bench probe: the wrapper keeps the signature, typed loosely over both classes
        cls.create_order = timed(cls.create_order)  # type: ignore[method-assign,assignment]

    plan_for = intake.PlanIntake._plan_for  # noqa: SLF001 - the bench times each follower's turn

    async def turn(self: intake.PlanIntake, view: Any, follower: Any) -> None:
        watch.turn.setdefault(follower.user.id, time.perf_counter())
        await plan_for(self, view, follower)

    intake.PlanIntake._plan_for = turn  # type: ignore[method-assign] # noqa: SLF001 - a bench probe

    # paper spot followers are served in chunks: a chunk's turn is its start, and its orders are
    # accepted when the one paper transaction placing them all returns
    run_chunk = batch.PaperSpotBatch.run_chunk
    in_chunk: list[str] = []  # orders placed in the chunk's transaction, accepted at its commit

    async def chunk_turn(self: batch.PaperSpotBatch, prepared: Any, chunk: Any) -> Any:
        started = time.perf_counter()
        for follower, _account, _guard in chunk:
            watch.turn.setdefault(follower.user.id, started)
        events = await run_chunk(self, prepared, chunk)
        at = time.perf_counter()  # the chunk's transaction (plans, orders, fills) committed
        while in_chunk:
            cid = in_chunk.pop()
            watch.accepted.setdefault(cid, at)
            watch.cpu.setdefault(cid, time.process_time())
        return events

    batch.PaperSpotBatch.run_chunk = chunk_turn  # type: ignore[method-assign] # a bench probe
    place_in = batch.place_in  # type: ignore[attr-defined] # the module-level name it calls

    async def placed(engine: Any, session: Any, intents: Any, quotes: Any, **kw: Any) -> Any:
        results = await place_in(engine, session, intents, quotes, **kw)
        in_chunk.extend(cid for cid, answer in results.items() if not isinstance(answer, str))
        return results

    batch.place_in = placed  # type: ignore[attr-defined] # a bench probe

    # live spot followers are served in chunks too: a chunk's turn is its start, each order is
    # accepted when its create_order returns (timed above)
    live_chunk = live_batch.LiveSpotBatch._live_chunk  # noqa: SLF001 - a bench probe

    async def live_turn(self: live_batch.LiveSpotBatch, shared: Any, chunk: Any) -> Any:
        started = time.perf_counter()
        for follower, *_ in chunk:
            watch.turn.setdefault(follower.user.id, started)
        return await live_chunk(self, shared, chunk)

    live_batch.LiveSpotBatch._live_chunk = live_turn  # type: ignore[method-assign] # noqa: SLF001


def percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[max(0, min(len(sorted_ms) - 1, round(q * len(sorted_ms)) - 1))]


# -- the fake exchange, in its own process ---------------------------------------------------


def serve_exchange() -> None:
    """Child mode: run FakeExchangeAPI until stdin closes; print its URL and API key first."""

    async def serve() -> None:
        balances = {"USDT": "100000000", "BTC": "0", "ETH": "0"}
        async with FakeExchangeAPI(balances=balances, prices=PRICES) as fake:
            print(json.dumps({"url": fake.url, "api_key": fake.api_key}), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(serve())


@contextmanager
def exchange_process() -> Iterator[dict[str, str]]:
    proc = subprocess.Popen(  # noqa: S603 - this very script, in its child mode
        [sys.executable, __file__, "--serve-exchange"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


# -- the world -------------------------------------------------------------------------------


async def build(
    db_url: str, redis_url: str, api: FakeTelegramAPI, exchange: dict[str, Any], pool: int | None
) -> App:
    db = Database(db_url)
    await migrate.upgrade(db)
    await db.aclose()
    settings = load_settings(
        None,
        telegram={"bot_token": "123456:" + "T" * 35, "admin_ids": []},
        database={"url": db_url} | ({"pool_size": pool} if pool else {}),
        redis={"url": redis_url},
        logging={"level": "WARNING"},
        exchange={"price_feed": "static", "static_prices": PRICES, **exchange},
    )
    return await build_app(
        settings,
        session=LoopbackSession(api=TelegramAPIServer.from_base(api.url)),
        token=TOKEN,
        configure_logs=False,
    )


async def feed(app: App, raw: dict[str, Any]) -> None:
    update = Update.model_validate(raw, context={"bot": app.bot})
    await app.dispatcher.feed_update(app.bot, update)
    await app.inbox.flush()


async def followers(app: App, n: int, live_key: str | None) -> None:
    """N traders following the channel in auto mode; with ``live_key``, each on a live
    Binance account (PIN set, live auto-trading acknowledged)."""
    follow = FollowSettings(mode=SubscriptionMode.AUTO, size=SIZE, entry=EntryStrategy.MARKET)
    before = utc_now() - timedelta(minutes=5)
    async with app.db.transaction() as session:
        source_id = await session.scalar(select(Source.id).where(Source.chat_id == CHANNEL))
        assert source_id is not None, "the channel was not registered"
        risk = {"risk": {"live_auto_ack": True}} if live_key else {}
        user_ids = list(
            await session.scalars(
                insert(User).returning(User.id),
                [
                    {
                        "telegram_id": FIRST_FOLLOWER + i,
                        "first_name": f"f{i}",
                        "role": Role.TRADER,
                        "pin_hash": "bench-pin" if live_key else None,
                        "settings": risk,
                    }
                    for i in range(n)
                ],
            )
        )
        accounts: list[str] = ["paper_spot"] * n
        if live_key:
            key, secret = app.keystore.encrypt(live_key), app.keystore.encrypt("s")
            ids = await session.scalars(
                insert(ExchangeAccount).returning(ExchangeAccount.id),
                [
                    {
                        "user_id": uid,
                        "exchange_id": "binance",
                        "label": "binance",
                        "api_key_enc": key,
                        "secret_enc": secret,
                        "key_hint": "fake…key",
                        "market_type": MarketType.SPOT,
                    }
                    for uid in user_ids
                ],
            )
            accounts = [str(i) for i in ids]
        await session.execute(
            insert(Subscription),
            [
                {
                    "user_id": uid,
                    "source_id": source_id,
                    "mode": SubscriptionMode.AUTO,
                    "order_size_quote": SIZE,
                    "settings": follow.with_value("account", account).to_json(),
                    "created_at": before,
                    "updated_at": before,
                }
                for uid, account in zip(user_ids, accounts, strict=True)
            ],
        )


async def measure(
    app: App, api: FakeTelegramAPI, text: str, watch: Stopwatch, profile: bool
) -> tuple[dict[str, Any], str]:
    """Feed one channel post; per follower, the post -> first accepted order figures."""
    watch.reset()
    update = api.updates.channel_post(CHANNEL, text)
    profiler = cProfile.Profile() if profile else None
    watch.counting = True
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    await feed(app, update)
    if profiler is not None:
        profiler.disable()
    done = time.perf_counter()
    cpu = time.process_time() - cpu0
    watch.counting = False
    async with app.db.session() as session:
        rows = (
            await session.execute(
                select(Order.client_order_id, TradePlan.user_id)
                .join(TradePlan, TradePlan.id == Order.plan_id)
                .where(TradePlan.symbol.like(text.split(" ", 1)[0] + "%"))
            )
        ).all()
    first: dict[int, float] = {}
    first_cid: dict[int, str] = {}
    for client_id, user_id in rows:
        at = watch.accepted.get(client_id)
        if at is not None and at < first.get(user_id, float("inf")):
            first[user_id], first_cid[user_id] = at, client_id
    cpu_to_last = max(watch.cpu[cid] for cid in first_cid.values()) - cpu0
    from_post = sorted((at - t0) * 1000 for at in first.values())
    service = sorted((at - watch.turn[uid]) * 1000 for uid, at in first.items())
    if not from_post:
        raise SystemExit(f"no order was accepted for {text.splitlines()[0]!r}")
    figures = {
        "followers": len(first),
        "p50_ms": round(statistics.median(from_post), 1),
        "p99_ms": round(percentile(from_post, 0.99), 1),
        "last_follower_ms": round(from_post[-1], 1),
        "order_p50_ms": round(statistics.median(service), 1),
        "order_p99_ms": round(percentile(service, 0.99), 1),
        "first_turn_ms": round((min(watch.turn.values()) - t0) * 1000, 1),
        "update_ms": round((done - t0) * 1000, 1),
        "sql_per_follower": round(watch.statements.total() / len(first), 1),
        "bot_cpu_ms_per_follower": round(cpu * 1000 / len(first), 1),
        "cpu_to_last_order_ms_per_follower": round(cpu_to_last * 1000 / len(first), 1),
    }
    report = ""
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
        report = out.getvalue()
        report += "\nSQL statements during the post, per follower:\n" + "\n".join(
            f"{count / len(first):7.2f}  {sql}" for sql, count in watch.statements.most_common(30)
        )
    return figures, report


async def run_exchange(
    kind: str, n: int, urls: tuple[str, str], watch: Stopwatch, options: argparse.Namespace
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as markets,
        exchange_process() if kind == "ccxt" else (_nothing()) as fake,
    ):
        exchange: dict[str, Any] = {}
        if fake:
            (Path(markets) / "binance.json").write_text(json.dumps(load_saved_markets()))
            exchange = {"api_url_override": fake["url"], "markets_dir": markets}
        async with FakeTelegramAPI(token=TOKEN) as api:
            app = await build(*urls, api, exchange, options.pool)
            watch.watch_sql(app)
            try:
                await feed(
                    app,
                    api.updates.my_chat_member(
                        CHANNEL, OWNER_ID, chat_type="channel", title="Bench signals"
                    ),
                )
                await followers(app, n, fake["api_key"] if fake else None)
                settle_heap()  # as `tsbot run` does once started (core/heap.py)
                cold, _ = await measure(app, api, POSTS["cold"], watch, False)
                warm, report = await measure(app, api, POSTS["warm"], watch, options.profile)
            finally:
                await app.aclose()
    if report:
        print(f"-- {kind}: cProfile of the warm post (sorted by cumulative, then by own time)")
        print(report)
    return {**warm, "cold": cold}


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def show(kind: str, figures: dict[str, Any], n: int) -> None:
    for phase, f in (("cold", figures["cold"]), ("warm", figures)):
        print(
            f"{kind:<5} {phase}: {f['followers']}/{n} followers' first orders accepted; "
            f"post -> order p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms, "
            f"last follower {f['last_follower_ms']} ms (target < 5000); "
            f"per order p50 {f['order_p50_ms']} ms, p99 {f['order_p99_ms']} ms (target p99 < 50); "
            f"{f['sql_per_follower']} SQL statements and "
            f"{f['bot_cpu_ms_per_follower']} ms of the bot's CPU per follower "
            f"({f['cpu_to_last_order_ms_per_follower']} ms until the last first order)"
        )


async def main(n: int, options: argparse.Namespace) -> dict[str, Any]:
    configure_logging("WARNING", "console")
    watch = Stopwatch()
    instrument(watch)
    kinds = [options.only] if options.only else list(EXCHANGES)
    result: dict[str, Any] = {"followers": n, "concurrency": intake.CONCURRENCY}
    with postgres_server(databases=tuple(kinds)) as pg, redis_server() as redis:
        for index, kind in enumerate(kinds):
            urls = (pg.url(kind), redis.url(index))
            figures = await run_exchange(kind, n, urls, watch, options)
            show(kind, figures, n)
            result[kind] = figures
    headline = result[kinds[0]]
    for key in ("p50_ms", "p99_ms", "last_follower_ms"):
        result[key] = headline[key]
    return result


if __name__ == "__main__":
    if "--serve-exchange" in sys.argv:
        serve_exchange()
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("followers", nargs="?", type=int, default=1000)
    parser.add_argument("--only", choices=EXCHANGES, help="one exchange only")
    parser.add_argument("--profile", action="store_true", help="cProfile the warm post")
    parser.add_argument("--pool", type=int, help="DB_POOL_SIZE (default: the app's)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.followers, args))))
