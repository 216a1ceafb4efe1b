"""Price feeds: replay of real candles on a fake clock, the static feed, the exchange feed."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import UserError
from services.exchange.base import MarketInfo, Ticker
from services.exchange.candle_files import load_directory
from services.exchange.candles import Candle, CandleSeries
from services.exchange.feeds import (
    DEMO_DATA_DIR,
    ExchangeTickerFeed,
    PriceFeed,
    ReplayFeed,
    StaticFeed,
    candle_path_price,
    load_demo_series,
)
from tests.fakes.clock import FakeClock

T0 = datetime(2025, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
DEMO_SYMBOLS = ["BNB/USDT", "BTC/USDT", "DOGE/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"]
DEMO_PERP_SERIES = ["BNB/USDT:USDT", "BTC/USDT:USDT", "ETH/USDT:USDT"]  # shipped perp candles


def _candle(t: datetime, o: str, h: str, low: str, c: str) -> Candle:
    return Candle(t, Decimal(o), Decimal(h), Decimal(low), Decimal(c), Decimal(1))


def _series(symbol: str = "BTC/USDT", start: datetime = T0, count: int = 3) -> CandleSeries:
    rows = [("100", "110", "95", "105"), ("105", "112", "90", "95"), ("95", "99", "94", "98")]
    candles = tuple(_candle(start + i * HOUR, *rows[i % 3]) for i in range(count))
    return CandleSeries(symbol, "1h", candles, "Binance", "test")


# --- the path inside one candle --------------------------------------------------------------


@pytest.mark.parametrize(
    ("candle", "fraction", "price"),
    [
        # bullish 100 -> low 95 -> high 110 -> 105: legs 5 + 15 + 5 = 25
        (_candle(T0, "100", "110", "95", "105"), "0", "100"),
        (_candle(T0, "100", "110", "95", "105"), "0.2", "95"),
        (_candle(T0, "100", "110", "95", "105"), "0.5", "102.5"),
        (_candle(T0, "100", "110", "95", "105"), "0.8", "110"),
        (_candle(T0, "100", "110", "95", "105"), "1", "105"),
        # bearish 100 -> high 105 -> low 90 -> 95: legs 5 + 15 + 5 = 25
        (_candle(T0, "100", "105", "90", "95"), "0", "100"),
        (_candle(T0, "100", "105", "90", "95"), "0.2", "105"),
        (_candle(T0, "100", "105", "90", "95"), "0.5", "97.5"),
        (_candle(T0, "100", "105", "90", "95"), "0.8", "90"),
        (_candle(T0, "100", "105", "90", "95"), "1", "95"),
        # flat candle
        (_candle(T0, "7", "7", "7", "7"), "0.5", "7"),
    ],
    ids=[
        f"{kind}-{at}"
        for kind in ("bull", "bear")
        for at in ("open", "1st", "mid", "2nd", "close")
    ]
    + ["flat"],
)
def test_price_walks_open_extremes_close(candle: Candle, fraction: str, price: str) -> None:
    assert candle_path_price(candle, Decimal(fraction)) == Decimal(price)


prices = st.decimals(min_value="0.00001", max_value="200000", places=5)


@st.composite
def candles(draw: st.DrawFn) -> Candle:
    low, high = sorted((draw(prices), draw(prices)))
    inside = st.decimals(min_value=low, max_value=high, places=5)
    return Candle(T0, draw(inside), high, low, draw(inside), Decimal(1))


@given(candle=candles(), fraction=st.decimals(min_value=0, max_value=1, places=6))
def test_path_never_leaves_the_candle_range(candle: Candle, fraction: Decimal) -> None:
    assert candle.low <= candle_path_price(candle, fraction) <= candle.high


# --- replay clock --------------------------------------------------------------------------


async def test_replay_starts_at_the_first_open_and_ends_at_the_close(clock: FakeClock) -> None:
    feed = ReplayFeed([_series()], clock=clock)
    first = await feed.ticker("BTC/USDT")
    assert first.last == Decimal("100")
    assert first.at == clock.now
    assert first.source == "replay of Binance BTC/USDT 1h candles (test)"
    clock.advance(HOUR - timedelta(microseconds=1))
    assert (await feed.ticker("BTC/USDT")).last == Decimal("105")
    clock.advance(timedelta(microseconds=1))
    assert (await feed.ticker("BTC/USDT")).last == Decimal("105")  # next candle's open
    clock.advance(HOUR / 2)
    assert feed.replay_time() == T0 + HOUR * 3 / 2


async def test_replay_wraps_around_after_the_last_candle(clock: FakeClock) -> None:
    feed = ReplayFeed([_series()], clock=clock, speed=60)  # one candle per wall minute
    clock.advance(timedelta(minutes=3) - timedelta(microseconds=1))
    assert feed.replay_time() == T0 + 3 * HOUR - timedelta(microseconds=60)
    assert (await feed.ticker("BTC/USDT")).last == Decimal("98")  # last close
    clock.advance(timedelta(microseconds=1))
    assert feed.replay_time() == T0
    assert (await feed.ticker("BTC/USDT")).last == Decimal("100")  # first open again
    clock.advance(timedelta(minutes=3 * 1000))
    assert feed.replay_time() == T0


def test_replay_speed_scales_wall_time(clock: FakeClock) -> None:
    feed = ReplayFeed([_series(count=100)], clock=clock, speed=3600)
    clock.advance(timedelta(seconds=5))
    assert feed.replay_time() == T0 + 5 * HOUR


def test_replay_uses_the_range_all_series_share(clock: FakeClock) -> None:
    feed = ReplayFeed(
        [_series("BTC/USDT", T0, 10), _series("ETH/USDT", T0 + 2 * HOUR, 10)], clock=clock
    )
    assert (feed.start, feed.end) == (T0 + 2 * HOUR, T0 + 10 * HOUR)
    # each spot series also prices its USDT-settled perp
    assert feed.symbols() == ["BTC/USDT", "BTC/USDT:USDT", "ETH/USDT", "ETH/USDT:USDT"]
    with pytest.raises(ValueError, match="share no time range"):
        ReplayFeed([_series("BTC/USDT", T0, 2), _series("ETH/USDT", T0 + 5 * HOUR, 2)])
    with pytest.raises(ValueError, match="Two series"):
        ReplayFeed([_series(), _series()])


def test_replay_holds_the_last_close_in_a_gap() -> None:
    series = CandleSeries(
        "BTC/USDT",
        "1h",
        (_candle(T0, "1", "3", "1", "2"), _candle(T0 + 3 * HOUR, "4", "5", "4", "5")),
    )
    feed = ReplayFeed([series], clock=FakeClock())
    assert feed.price_at("BTC/USDT", T0 + 2 * HOUR) == Decimal("2")


async def test_replay_refuses_unknown_symbols(clock: FakeClock) -> None:
    feed = ReplayFeed([_series()], clock=clock)
    with pytest.raises(UserError) as error:
        await feed.ticker("XYZ/USDT")
    assert error.value.user_message == "No price for XYZ/USDT on replay"
    assert (await feed.ticker("btc/usdt")).symbol == "BTC/USDT"


def test_replay_needs_an_aware_clock() -> None:
    with pytest.raises(ValueError, match="aware"):
        ReplayFeed([_series()], clock=lambda: datetime(2030, 1, 1))


# --- the shipped demo slice ----------------------------------------------------------------


def test_shipped_slice_is_small_documented_and_loads() -> None:
    files = [p for p in DEMO_DATA_DIR.iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 1_000_000
    readme = (DEMO_DATA_DIR / "README.md").read_text()
    assert "Harthor/marketlab @ 6135a753162dd7dfe1c4d7fd282c1c8b65c5bede" in readme
    assert "Licence caveat" in readme
    series = load_directory(DEMO_DATA_DIR)
    assert [s.symbol for s in series] == sorted(DEMO_SYMBOLS + DEMO_PERP_SERIES)
    for s in series:
        assert (s.timeframe, len(s)) == ("1h", 1440)
        assert s.end - s.start == 1440 * HOUR  # no gaps
        assert (s.start, s.end) == (series[0].start, series[0].end)


async def test_default_feed_replays_the_demo_slice(clock: FakeClock) -> None:
    feed = ReplayFeed.default(clock=clock, speed=3600)
    assert feed.symbols() == sorted(DEMO_SYMBOLS + [f"{s}:USDT" for s in DEMO_SYMBOLS])
    perp = await feed.ticker("BTC/USDT:USDT")
    assert perp.source == "replay of Binance BTC/USDT:USDT 1h candles (Harthor/marketlab)"
    assert perp.last == feed.series_for("BTC/USDT:USDT").candles[0].open
    sol = await feed.ticker("SOL/USDT:USDT")  # no perp candles: the spot series, as the perp
    assert (sol.symbol, sol.last) == ("SOL/USDT:USDT", (await feed.ticker("SOL/USDT")).last)
    btc = feed.series_for("BTC/USDT")
    ticker = await feed.ticker("BTC/USDT")
    assert ticker.last == btc.candles[0].open
    assert ticker.source == "replay of Binance BTC/USDT 1h candles (Harthor/marketlab)"
    clock.advance(timedelta(seconds=1440))  # the whole 60 days at 3600x
    assert (await feed.ticker("BTC/USDT")).last == btc.candles[0].open


def test_replay_anchored_at_a_wall_moment(clock: FakeClock) -> None:
    feed = ReplayFeed([_series(count=10)], clock=clock, anchor=clock.now - 4 * HOUR)
    assert feed.replay_time() == T0 + 4 * HOUR  # as if it had started four hours ago
    clock.advance(7 * HOUR)
    assert feed.replay_time() == T0 + HOUR  # 11 hours past the anchor: wrapped (10 candles)


async def test_default_replay_goes_on_across_restarts() -> None:
    """The default feed's position is a function of the wall time: a feed made later (a
    restart, or a second process) prices exactly as the first one does at the same moment,
    instead of starting over at the first candle."""
    clock = FakeClock(datetime(2031, 5, 17, 9, 41, 13, tzinfo=UTC))
    first = ReplayFeed.default(clock=clock)
    clock.advance(timedelta(hours=5, minutes=7))
    restarted = ReplayFeed.default(clock=clock)
    assert restarted.replay_time() == first.replay_time()
    for symbol in DEMO_SYMBOLS:
        assert (await restarted.ticker(symbol)).last == (await first.ticker(symbol)).last
    assert restarted.replay_time() != restarted.start


@pytest.mark.parametrize(
    "wall",
    [
        datetime(2030, 1, 1, tzinfo=UTC),
        datetime(2031, 5, 17, 9, 41, 13, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
    ids=["midnight", "morning", "last-microsecond"],
)
def test_default_replay_shows_the_wall_time_of_day(wall: datetime) -> None:
    """At speed 1 the replayed moment has the wall clock's UTC time of day (the demo slice
    spans whole days from midnight), and a day that moves on with the calendar."""
    feed = ReplayFeed.default(clock=FakeClock(wall))
    moment = feed.replay_time()
    assert feed.start <= moment < feed.end
    assert moment.time() == wall.time()
    next_day = ReplayFeed.default(clock=FakeClock(wall + timedelta(days=1))).replay_time()
    assert next_day.time() == wall.time()
    assert next_day - moment in (timedelta(days=1), timedelta(days=1) - (feed.end - feed.start))


_DEMO_CLOCK = FakeClock()
_DEMO_STARTED = _DEMO_CLOCK.now


@given(wall_offset=st.integers(min_value=0, max_value=10 * 1440 * 3600 * 10**6))
def test_demo_replay_stays_inside_the_candle_being_replayed(wall_offset: int) -> None:
    feed = _demo_feed()
    _DEMO_CLOCK.now = _DEMO_STARTED + timedelta(microseconds=wall_offset)
    moment = feed.replay_time()
    for symbol in ("BTC/USDT", "DOGE/USDT"):
        candle = feed.series_for(symbol).at(moment)
        assert candle is not None
        assert candle.low <= feed.price_at(symbol, moment) <= candle.high


@functools.cache
def _demo_feed() -> ReplayFeed:
    _DEMO_CLOCK.now = _DEMO_STARTED
    return ReplayFeed(load_demo_series(), clock=_DEMO_CLOCK, speed=7.5)


# --- static and exchange feeds -------------------------------------------------------------


async def test_static_feed_prices_what_it_is_told(clock: FakeClock) -> None:
    feed = StaticFeed({"ETH/USDT": "3000"}, clock=clock)
    feed.set_price("btc/usdt", 0.1 + 0.2, bid="0.29", ask=Decimal("0.31"))
    ticker = await feed.ticker("BTC/USDT")
    assert ticker == Ticker(
        "BTC/USDT",
        Decimal("0.30000000000000004"),
        Decimal("0.29"),
        Decimal("0.31"),
        clock.now,
        "static",
    )
    assert feed.symbols() == ["BTC/USDT", "ETH/USDT"]
    feed.set_price("ETH/USDT", 3100)
    assert (await feed.ticker("ETH/USDT")).last == Decimal(3100)
    feed.remove("ETH/USDT")
    with pytest.raises(UserError, match="No price for ETH/USDT on static"):
        await feed.ticker("ETH/USDT")
    with pytest.raises(ValueError, match="positive"):
        feed.set_price("BTC/USDT", 0)


class FakeExchangeClient:
    """Just the two ExchangeClient methods a ticker feed uses."""

    name = "binance"

    def __init__(self, source: str = "binance ticker") -> None:
        self.calls: list[str] = []
        self._source = source

    async def markets(self) -> dict[str, MarketInfo]:
        def market(symbol: str, active: bool) -> MarketInfo:
            base, quote = symbol.split("/")
            return MarketInfo(symbol, base, quote, None, None, None, None, active=active)

        return {"BTC/USDT": market("BTC/USDT", True), "LUNA/USDT": market("LUNA/USDT", False)}

    async def ticker(self, symbol: str) -> Ticker:
        self.calls.append(symbol)
        return Ticker(symbol, Decimal("65000.1"), None, None, T0, self._source)


async def test_exchange_feed_passes_the_exchange_ticker_through() -> None:
    client = FakeExchangeClient(source="")
    feed = ExchangeTickerFeed(client)  # type: ignore[arg-type]  # a partial fake
    assert feed.name == "binance ticker"
    assert feed.symbols() == []
    ticker = await feed.ticker("ETH/USDT")  # symbols unknown yet: ask the exchange
    assert (ticker.last, ticker.source) == (Decimal("65000.1"), "binance ticker")
    assert await feed.load_symbols() == ["BTC/USDT"]  # inactive LUNA left out
    with pytest.raises(UserError, match="No price for LUNA/USDT on binance ticker"):
        await feed.ticker("LUNA/USDT")
    assert client.calls == ["ETH/USDT"]


def test_every_feed_fits_the_port() -> None:
    feeds = [
        ReplayFeed([_series()], clock=FakeClock()),
        StaticFeed(),
        ExchangeTickerFeed(FakeExchangeClient()),  # type: ignore[arg-type]
    ]
    assert all(isinstance(feed, PriceFeed) for feed in feeds)
    assert [feed.name for feed in feeds] == ["replay", "static", "binance ticker"]
