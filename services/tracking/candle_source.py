"""Candles for live tracking, on the wall clock: the port the tracker's pass reads, and adapters.

- ``StoreCandleSource``: a ``CandleStore`` as it is (a data directory: ``TRACKER_CANDLES_DIR``).
- ``ReplayCandleSource``: the replay feed's candles moved onto the wall clock, so a signal
  posted now is tracked on the very candles the paper exchange is replaying now. At wall speed
  only (the default replay); the cycle before the current one is included, so a signal posted
  before the replay wrapped keeps its history. Candles past ``now`` are in the arrays; the
  outcome rules leave out every candle that has not closed by ``now``.
- ``ExchangeCandleSource``: an exchange's public 1-minute candles (``PRICE_FEED=exchange``),
  fetched from the earliest post asked for and then only the new ones, kept per pair.
- ``NoCandleSource``: no candles (static prices): every signal ends ``no_data`` after its fill
  window.

Prices typed in with the console's ``/market`` move the paper exchange, not the candles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

import numpy as np

from core.errors import UserError
from services.exchange.candles import Candle, CandleSeries
from services.exchange.feeds import ReplayFeed
from services.tracking.candle_store import (
    CandleStore,
    DirectoryCandleStore,
    SeriesCandleStore,
    arrays_of,
    pair_symbols,
)
from services.tracking.model import CandleArrays, Floats

__all__ = [
    "CandleSource",
    "ExchangeCandleSource",
    "NoCandleSource",
    "ReplayCandleSource",
    "StoreCandleSource",
]


class CandleSource(Protocol):
    name: str

    async def arrays(
        self,
        base: str,
        quote: str | None,
        *,
        futures: bool,
        now: datetime,
        since: datetime | None = None,
    ) -> CandleArrays | None:
        """The pair's candles up to about ``now`` (the finest timeframe there is), from at
        least ``since`` when the source has to fetch them; None when it has none."""
        ...


class StoreCandleSource:
    def __init__(self, store: CandleStore, name: str = "candle files") -> None:
        self.name = name
        self._store = store

    async def arrays(
        self,
        base: str,
        quote: str | None,
        *,
        futures: bool,
        now: datetime,
        since: datetime | None = None,
    ) -> CandleArrays | None:
        del now, since  # files hold what they hold
        return self._store.arrays(base, quote, futures=futures)

    def store(self) -> CandleStore:
        """The files for a backtest in a worker thread: a reader of its own, since a
        directory's listing and cache are not shared across threads."""
        if isinstance(self._store, DirectoryCandleStore):
            return DirectoryCandleStore(self._store.root)
        return self._store


class NoCandleSource:
    name = "no candles"

    async def arrays(
        self,
        base: str,
        quote: str | None,
        *,
        futures: bool,
        now: datetime,
        since: datetime | None = None,
    ) -> CandleArrays | None:
        del base, quote, futures, now, since
        return None


class ReplayCandleSource:
    def __init__(self, feed: ReplayFeed) -> None:
        self.name = f"{feed.name} candles"
        self._feed = feed
        self._market = SeriesCandleStore(feed.all_series())
        self._cycle: tuple[int, dict[str, CandleArrays | None]] = (0, {})

    async def arrays(
        self,
        base: str,
        quote: str | None,
        *,
        futures: bool,
        now: datetime,
        since: datetime | None = None,
    ) -> CandleArrays | None:
        del since  # the replay holds two cycles
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

    def store(self) -> CandleStore:
        """The feed's candles at their own times, for a backtest (built once, then only
        read: safe to share with a worker thread)."""
        return self._market

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


class CandleClient(Protocol):
    name: str

    async def candles(
        self, symbol: str, timeframe: str, since: datetime, limit: int = 1000
    ) -> list[Candle]: ...


@dataclass(slots=True)
class _Fetched:
    since: datetime  # the earliest moment fetched from
    candles: dict[datetime, Candle]
    arrays: CandleArrays | None = None


class ExchangeCandleSource:
    """1-minute candles from an exchange, cached per symbol. A call fetches what is missing:
    all from ``since`` the first time (or when an older ``since`` is asked), then from the
    last candle held (it may have been forming) up to ``now``, a page at a time."""

    TIMEFRAME: Final = "1m"
    PAGE: Final = 1000
    MAX_PAGES: Final = 50  # about 35 days of minutes per call; the next pass goes on
    DEFAULT_LOOKBACK: Final = timedelta(days=1)

    def __init__(self, client: CandleClient) -> None:
        self.name = f"{client.name} 1m candles"
        self._client = client
        self._held: dict[str, _Fetched] = {}

    async def arrays(
        self,
        base: str,
        quote: str | None,
        *,
        futures: bool,
        now: datetime,
        since: datetime | None = None,
    ) -> CandleArrays | None:
        start = since or now - self.DEFAULT_LOOKBACK
        for symbol in pair_symbols(base, quote, futures=futures):
            try:
                return await self._fetch(symbol, start, now)
            except UserError:  # the exchange does not list it: the next symbol
                continue
        return None

    async def _fetch(self, symbol: str, start: datetime, now: datetime) -> CandleArrays | None:
        held = self._held.get(symbol)
        if held is None or start < held.since:
            held = self._held[symbol] = _Fetched(start, {})
        elif start - held.since > self.DEFAULT_LOOKBACK:  # nothing asks that far back now
            held.candles = {t: c for t, c in held.candles.items() if t >= start}
            held.since = start
        cursor = max(held.candles) if held.candles else held.since
        for _ in range(self.MAX_PAGES):
            page = await self._client.candles(symbol, self.TIMEFRAME, cursor, self.PAGE)
            held.candles.update((c.open_time, c) for c in page)
            if len(page) < self.PAGE or page[-1].open_time >= now:
                break
            cursor = page[-1].open_time + timedelta(minutes=1)
        if not held.candles:
            return None
        ordered = [held.candles[t] for t in sorted(held.candles)]
        series = CandleSeries(symbol, self.TIMEFRAME, tuple(ordered))
        held.arrays = arrays_of(series)
        return held.arrays
