"""Candles for live tracking, on the wall clock: the port the tracker's pass reads, and adapters.

- ``StoreCandleSource``: a ``CandleStore`` as it is (a data directory: ``TRACKER_CANDLES_DIR``).
- ``ReplayCandleSource``: the replay feed's candles moved onto the wall clock, so a signal
  posted now is tracked on the very candles the paper exchange is replaying now. At wall speed
  only (the default replay); the cycle before the current one is included, so a signal posted
  before the replay wrapped keeps its history. Candles past ``now`` are in the arrays; the
  outcome rules leave out every candle that has not closed by ``now``.
- ``NoCandleSource``: no candles (static prices): every signal ends ``no_data`` after its fill
  window.

Prices typed in with the console's ``/market`` move the paper exchange, not the candles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import numpy as np

from services.exchange.feeds import ReplayFeed
from services.tracking.candle_store import CandleStore, SeriesCandleStore, pair_symbols
from services.tracking.model import CandleArrays, Floats

__all__ = ["CandleSource", "NoCandleSource", "ReplayCandleSource", "StoreCandleSource"]


class CandleSource(Protocol):
    name: str

    async def arrays(
        self, base: str, quote: str | None, *, futures: bool, now: datetime
    ) -> CandleArrays | None:
        """The pair's candles up to about ``now`` (the finest timeframe there is), or None."""
        ...


class StoreCandleSource:
    def __init__(self, store: CandleStore, name: str = "candle files") -> None:
        self.name = name
        self._store = store

    async def arrays(
        self, base: str, quote: str | None, *, futures: bool, now: datetime
    ) -> CandleArrays | None:
        del now  # files hold what they hold
        return self._store.arrays(base, quote, futures=futures)


class NoCandleSource:
    name = "no candles"

    async def arrays(
        self, base: str, quote: str | None, *, futures: bool, now: datetime
    ) -> CandleArrays | None:
        del base, quote, futures, now
        return None


class ReplayCandleSource:
    def __init__(self, feed: ReplayFeed) -> None:
        self.name = f"{feed.name} candles"
        self._feed = feed
        self._market = SeriesCandleStore(feed.all_series())
        self._cycle: tuple[int, dict[str, CandleArrays | None]] = (0, {})

    async def arrays(
        self, base: str, quote: str | None, *, futures: bool, now: datetime
    ) -> CandleArrays | None:
        offset = self._feed.wall_offset(now)
        if offset is None:
            return None
        shift = int(offset.total_seconds())
        if self._cycle[0] != shift:
            self._cycle = (shift, {})
        cache = self._cycle[1]
        key = pair_symbols(base, quote, futures=futures)[0]
        if key not in cache:
            market = self._market.arrays(base, quote, futures=futures)
            cache[key] = self._on_wall(market, shift) if market is not None else None
        return cache[key]

    def _on_wall(self, market: CandleArrays, shift: int) -> CandleArrays | None:
        start, end = (int(t.timestamp()) for t in (self._feed.start, self._feed.end))
        keep = (market.times >= start) & (market.times < end)
        if not keep.any():
            return None
        span = end - start
        times = market.times[keep]

        def twice(values: Floats) -> Floats:
            return np.concatenate([values[keep], values[keep]])

        return CandleArrays(
            symbol=market.symbol,
            timeframe_s=market.timeframe_s,
            times=np.concatenate([times + shift - span, times + shift]).astype(np.int64),
            open=twice(market.open),
            high=twice(market.high),
            low=twice(market.low),
            close=twice(market.close),
        )
