"""Where the ``cached`` decorator is used, with the real services on SQLite and PostgreSQL:
hits, expiry (an injected clock), and invalidation by the event that makes a value stale.

- balance and positions views (1 minute): dropped by the user's own orders (placed, filled
  while resting, cancelled); the order path never trusts them;
- exchange tickers (seconds) and symbols (an hour) of the live price feed;
- source scores: kept until the tracker stores a new outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update

from core.cache import KeyValue, MemoryCache
from core.db.models import PaperBalance, Signal, SignalOutcome, Source
from core.db.session import Database
from core.domain import OrderSide, OrderStatus, Role
from core.errors import OrderRejected
from core.metrics import Metrics
from core.security import KeyStore
from handlers.signals_render import SignalHtml
from handlers.trading_render import OrderHtml
from services.charts import ChartRenderer
from services.dto import UserView
from services.exchange.base import MarketInfo, Ticker
from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import ExchangeTickerFeed, StaticFeed
from services.exchange.paper import PaperEngine
from services.notifications import OutboxNotifier
from services.pin_attempts import PinAttempts
from services.sources import SourceService
from services.tracking.candle_source import NoCandleSource
from services.tracking.service import SCORES_TTL_S, TrackingService
from services.tracking.tracker import Tracker
from services.trading import TradingService
from services.trading_dto import BalanceView
from services.users import UserService
from tests.fakes.exchange_api import CountingBinance
from tests.integration.trading.conftest import exchange_settings

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Clock:
    """Monotonic seconds for the cache, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Paper:
    service: TradingService
    feed: StaticFeed
    users: UserService
    db: Database

    async def user(self) -> UserView:
        view, _ = await self.users.ensure(5005, "trader", None)
        assert view is not None
        return view

    async def set_usdt(self, amount: str) -> None:
        """Change the paper ledger behind the service's back (another process, a fill)."""
        async with self.db.transaction() as session:
            await session.execute(
                update(PaperBalance).where(PaperBalance.asset == "USDT").values(free=amount)
            )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def paper(db: Database, clock: Clock) -> Paper:
    settings = exchange_settings()
    feed = StaticFeed({"BTC/USDT": "64000"})
    engine = PaperEngine(db, feed, settings.exchange)
    kv = KeyValue.memory(clock)
    factory = ExchangeFactory(
        db, KeyStore([Fernet.generate_key()]), settings.exchange, engine, cache=kv.cache
    )
    service = TradingService(
        db,
        factory,
        locks=kv.locks,
        pin_attempts=PinAttempts(kv.cache, kv.locks),
        notifier=OutboxNotifier(db),
        messages=OrderHtml(),
        settings=settings.exchange,
        confirm_ttl_s=120,
        metrics=Metrics(),
    )
    return Paper(service, feed, UserService(db), db)


def usdt(view: BalanceView) -> Decimal:
    return dict((asset, free) for asset, free, _ in view.assets)["USDT"]


async def test_balance_view_is_cached_for_a_minute(paper: Paper, clock: Clock) -> None:
    user = await paper.user()
    assert usdt(await paper.service.balance(user)) == 10_000
    await paper.set_usdt("9000")
    assert usdt(await paper.service.balance(user)) == 10_000  # a hit
    clock.now += 59
    assert usdt(await paper.service.balance(user)) == 10_000
    clock.now += 2
    assert usdt(await paper.service.balance(user)) == 9_000  # expired


async def test_own_orders_drop_the_balance_and_positions_views(paper: Paper, clock: Clock) -> None:
    """Placed (a resting limit buy holds funds), filled while resting, cancelled: each shows
    at once, without waiting for the minute."""
    user = await paper.user()
    assert usdt(await paper.service.balance(user)) == 10_000
    [(_, positions)] = await paper.service.positions(user)
    assert positions == []

    plan = await paper.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.1"), price=Decimal(60000)
    )
    order = await paper.service.execute_now(user, plan)
    assert order.status is OrderStatus.OPEN
    held = Decimal("0.1") * 60000 * Decimal("1.001")
    assert usdt(await paper.service.balance(user)) == 10_000 - held

    paper.feed.set_price("BTC/USDT", "59990")
    assert await paper.service.run_paper_pass() == [order.id]  # filled, the owner told
    assert dict((a, f) for a, f, _ in (await paper.service.balance(user)).assets) == {
        "USDT": 10_000 - held,
        "BTC": Decimal("0.1"),
    }
    [(_, [position])] = await paper.service.positions(user)
    assert (position.symbol, position.amount) == ("BTC/USDT", Decimal("0.1"))

    resting = await paper.service.execute_now(
        user,
        await paper.service.prepare_order(
            user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.05"), price=Decimal(50000)
        ),
    )
    assert usdt(await paper.service.balance(user)) < 10_000 - held
    await paper.service.cancel_order(user, resting.id)
    assert usdt(await paper.service.balance(user)) == 10_000 - held


async def test_a_stale_balance_never_lets_an_order_through(paper: Paper) -> None:
    """The view says 10,000 USDT; the ledger holds 50: an order for 100 is refused, and 'all'
    is sized from the 50."""
    user = await paper.user()
    assert usdt(await paper.service.balance(user)) == 10_000
    await paper.set_usdt("50")
    assert usdt(await paper.service.balance(user)) == 10_000  # the cached view
    plan = await paper.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, amount=Decimal(100), amount_in_quote=True
    )
    with pytest.raises(OrderRejected):
        await paper.service.execute_now(user, plan)
    everything = await paper.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, share=Decimal(1)
    )
    assert everything.amount * 64000 <= 50
    assert usdt(await paper.service.balance(user)) == 50  # the refusal dropped the view too


# -- the live price feed ------------------------------------------------------------------------


class CountingClient:
    """An exchange client that counts its ticker and market reads."""

    name = "fakex"

    def __init__(self) -> None:
        self.tickers = 0
        self.market_loads = 0
        self.price = Decimal("64000.10")

    async def ticker(self, symbol: str) -> Ticker:
        self.tickers += 1
        return Ticker(symbol, self.price, None, None, T0, "fakex ticker")

    async def markets(self) -> dict[str, MarketInfo]:
        self.market_loads += 1
        info = MarketInfo("BTC/USDT", "BTC", "USDT", None, None, None, None)
        return {
            "BTC/USDT": info,
            "OLD/USDT": MarketInfo(
                "OLD/USDT", "OLD", "USDT", None, None, None, None, active=False
            ),
        }


async def test_tickers_are_kept_seconds_and_symbols_an_hour(clock: Clock) -> None:
    client = CountingClient()
    cache = MemoryCache(clock)
    feed = ExchangeTickerFeed(cast(Any, client), cache=cache)
    other_process = ExchangeTickerFeed(cast(Any, CountingClient()), cache=cache)

    assert await feed.load_symbols() == ["BTC/USDT"]
    assert await other_process.load_symbols() == ["BTC/USDT"]
    assert client.market_loads == 1
    first = await feed.ticker("BTC/USDT")
    client.price = Decimal(65000)
    assert await feed.ticker("BTC/USDT") == first  # a hit, exactly (Decimal, datetime)
    assert first.last == Decimal("64000.10")
    clock.now += 6
    assert (await feed.ticker("BTC/USDT")).last == 65000
    assert client.tickers == 2
    clock.now += 3600
    await feed.load_symbols()
    assert client.market_loads == 2


async def test_tickers_on_redis_are_shared(redis_kv: KeyValue) -> None:
    first, second = CountingClient(), CountingClient()
    await ExchangeTickerFeed(cast(Any, first), cache=redis_kv.cache).ticker("BTC/USDT")
    ticker = await ExchangeTickerFeed(cast(Any, second), cache=redis_kv.cache).ticker("BTC/USDT")
    assert (first.tickers, second.tickers) == (1, 0)
    assert ticker.last == Decimal("64000.10")


# -- source scores ------------------------------------------------------------------------------


class StubTracker:
    """A tracker pass that reports how many outcomes it changed."""

    def __init__(self) -> None:
        self.changed = 0

    async def run_pass(self) -> int:
        return self.changed


async def _outcome(db: Database, r: str) -> None:
    async with db.transaction() as session:
        source = await session.get(Source, 1)
        if source is None:
            source = Source(id=1, chat_id=-1001, title="Alpha", approved=True)
            session.add(source)
        count = len((await session.execute(Signal.__table__.select())).all())
        signal = Signal(
            chat_id=-1001,
            message_id=count + 1,
            raw_text="x",
            text_sha256=str(count),
            source_id=1,
        )
        session.add(signal)
        await session.flush()
        session.add(
            SignalOutcome(
                signal_id=signal.id,
                source_id=1,
                kind="price",
                posted_at=T0,
                result="tp_all",
                r=r,
                filled_at=T0,
                tp1_at=T0 + timedelta(minutes=5),
                closed_at=T0 + timedelta(minutes=9),
            )
        )


async def test_scores_are_kept_until_the_tracker_stores_an_outcome(
    db: Database, clock: Clock
) -> None:
    cache = MemoryCache(clock)
    tracker = StubTracker()
    service = TrackingService(
        db,
        cast(Tracker, tracker),
        NoCandleSource(),
        SourceService(db, cache, SignalHtml()),
        ChartRenderer(),
        top_min_signals=1,
        clock=lambda: T0 + timedelta(days=1),
        cache=cache,
    )
    viewer = UserView(1, 1, None, None, Role.TRADER, is_banned=False)
    await _outcome(db, "1")
    _, [(_, first)] = await service.top(viewer)
    assert first.signals == 1

    await _outcome(db, "2")  # stored, but not by a tracker pass
    _, [(_, cached_score)] = await service.top(viewer)
    assert cached_score.signals == 1
    assert await service.run_pass() == 0  # a pass that changed nothing keeps them
    assert (await service.top(viewer))[1][0][1].signals == 1

    tracker.changed = 1
    assert await service.run_pass() == 1
    assert (await service.top(viewer))[1][0][1].signals == 2

    await _outcome(db, "3")
    clock.now += SCORES_TTL_S + 1  # a claim is not an outcome: the TTL bounds it
    assert (await service.top(viewer))[1][0][1].signals == 3


# -- exchange markets ---------------------------------------------------------------------------


async def test_markets_are_downloaded_once_per_venue_and_hour(kv: KeyValue, clock: Clock) -> None:
    """A second client of the venue (another account, another process) gets the first one's
    download; after the hour, one downloads again."""
    CountingBinance.reset()
    cache = kv.cache if kv.is_redis else MemoryCache(clock)
    clients = [
        CcxtExchangeClient("binance", exchange=CountingBinance(), markets_cache=cache)
        for _ in range(3)
    ]
    try:
        first = await clients[0].market("BTC/USDT")
        assert await clients[1].market("BTC/USDT") == first
        assert first.min_cost is not None and isinstance(first.price_step, Decimal)
        assert CountingBinance.downloads == 1
        assert len(await clients[1].markets()) == len(await clients[0].markets())
        if not kv.is_redis:
            clock.now += 3601
            await clients[2].market("ETH/USDT")
            assert CountingBinance.downloads == 2
    finally:
        for client in clients:
            await client.close()
