"""The replay's candles on the wall clock: a signal posted now is tracked on the candles the
paper exchange replays now; the cycle before is kept; other speeds have no candles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.exchange.candles import Candle, CandleSeries
from services.exchange.feeds import ReplayFeed
from services.tracking.candle_source import NoCandleSource, ReplayCandleSource
from tests.fakes.clock import FakeClock

MARKET_START = datetime(2025, 1, 1, tzinfo=UTC)
WALL_START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def series(count: int = 10) -> CandleSeries:
    candles = tuple(
        Candle(
            MARKET_START + HOUR * i,
            Decimal(100 + i),
            Decimal(101 + i),
            Decimal(99 + i),
            Decimal(100 + i),
            Decimal(1),
        )
        for i in range(count)
    )
    return CandleSeries("BTC/USDT", "1h", candles)


async def test_candles_show_at_the_wall_time_they_are_replayed() -> None:
    clock = FakeClock(WALL_START)
    feed = ReplayFeed([series()], clock=clock, anchor=WALL_START)
    source = ReplayCandleSource(feed)
    clock.advance(HOUR * 3 + timedelta(minutes=20))  # replaying candle 3 (opened at 100 + 3)
    arrays = await source.arrays("BTC", None, futures=True, now=clock.now)  # no perp: spot
    assert arrays is not None and arrays.symbol == "BTC/USDT"
    index = arrays.index_at_or_after(WALL_START + HOUR * 3)
    assert arrays.time_of(index) == WALL_START + HOUR * 3
    assert arrays.open[index] == 103.0
    # the cycle before the current one is there too, an hour per candle, back to back
    assert arrays.time_of(0) == WALL_START - HOUR * 10
    assert len(arrays) == 20
    assert await source.arrays("ETH", None, futures=False, now=clock.now) is None


async def test_a_faster_replay_has_no_wall_candles() -> None:
    clock = FakeClock(WALL_START)
    feed = ReplayFeed([series()], clock=clock, anchor=WALL_START, speed=60)
    source = ReplayCandleSource(feed)
    assert await source.arrays("BTC", None, futures=False, now=clock.now) is None
    assert await NoCandleSource().arrays("BTC", None, futures=False, now=clock.now) is None
