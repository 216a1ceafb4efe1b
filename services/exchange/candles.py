"""OHLCV candles: ``Candle``, ``CandleSeries`` and timeframes (``"5m"`` <-> 5 minutes).

Times are aware UTC datetimes marking the candle *open*; prices and volumes are ``Decimal``. A
series holds one symbol and timeframe, sorted by open time without duplicates, and answers
"which candle holds time t" by bisection. Reading candle files is ``candle_files``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

__all__ = ["Candle", "CandleSeries", "format_timeframe", "parse_timeframe"]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Weekly candles open on Monday (Binance, freqtrade); 1970-01-05 is the first Monday.
WEEK_ANCHOR: Final = datetime(1970, 1, 5, tzinfo=UTC)

_TIMEFRAME_RE: Final = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_timeframe(timeframe: str) -> timedelta:
    """``"5m"`` -> 5 minutes. Units s, m, h, d, w; raises ``ValueError`` otherwise
    (months have no fixed length)."""
    match = _TIMEFRAME_RE.match(timeframe)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"Unknown timeframe {timeframe!r} (expected e.g. 1m, 5m, 1h, 1d)")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_timeframe(interval: timedelta) -> str:
    """Inverse of ``parse_timeframe``: 300 s -> ``"5m"`` (largest unit that divides)."""
    seconds = int(interval.total_seconds())
    if seconds <= 0 or timedelta(seconds=seconds) != interval:
        raise ValueError(f"Not a whole number of seconds: {interval}")
    for unit in ("w", "d", "h", "m", "s"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    raise AssertionError("unreachable: every whole second count divides by 1")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV bar; ``open_time`` is the aware UTC start of the bar."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __post_init__(self) -> None:
        if self.open_time.tzinfo is None or self.open_time.utcoffset() != timedelta(0):
            raise ValueError(f"Candle open_time must be aware UTC, got {self.open_time!r}")
        if not (
            self.low <= min(self.open, self.close) and self.high >= max(self.open, self.close)
        ):
            raise ValueError(
                f"Inconsistent candle at {self.open_time.isoformat()}: "
                f"o={self.open} h={self.high} l={self.low} c={self.close}"
            )

    @property
    def bullish(self) -> bool:
        return self.close >= self.open


@dataclass(frozen=True, slots=True)
class CandleSeries:
    """Candles of one symbol and timeframe, sorted by open time, without duplicates.

    ``exchange`` (e.g. "Binance") and ``origin`` (where the numbers came from, e.g. a repo or a
    file name) are free text used to label prices derived from the series.
    """

    symbol: str
    timeframe: str
    candles: tuple[Candle, ...]
    exchange: str | None = None
    origin: str | None = None
    _times: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parse_timeframe(self.timeframe)
        candles = tuple(sorted(self.candles, key=lambda c: c.open_time))
        times = tuple(c.open_time for c in candles)
        for previous, current in zip(times, times[1:], strict=False):
            if previous == current:
                raise ValueError(f"{self.symbol} {self.timeframe}: two candles at {current}")
        object.__setattr__(self, "candles", candles)
        object.__setattr__(self, "_times", times)

    def __len__(self) -> int:
        return len(self.candles)

    def __iter__(self) -> Iterator[Candle]:
        return iter(self.candles)

    @property
    def interval(self) -> timedelta:
        return parse_timeframe(self.timeframe)

    @property
    def start(self) -> datetime:
        """Open time of the first candle; raises ``IndexError`` on an empty series."""
        return self.candles[0].open_time

    @property
    def end(self) -> datetime:
        """Close time of the last candle (its open time + one interval)."""
        return self.candles[-1].open_time + self.interval

    def index_at_or_before(self, t: datetime) -> int | None:
        """Index of the last candle opening at or before ``t``; ``None`` before the first."""
        index = bisect.bisect_right(self._times, t) - 1
        return index if index >= 0 else None

    def at(self, t: datetime) -> Candle | None:
        """The candle whose ``[open_time, open_time + interval)`` holds ``t``, else ``None``
        (before the first, after the last, or inside a gap)."""
        index = self.index_at_or_before(t)
        if index is None:
            return None
        candle = self.candles[index]
        return candle if t < candle.open_time + self.interval else None

    def between(self, start: datetime, end: datetime) -> Iterator[Candle]:
        """Candles with ``start <= open_time < end``, in order."""
        first = bisect.bisect_left(self._times, start)
        last = bisect.bisect_left(self._times, end)
        return iter(self.candles[first:last])

    def resample(self, timeframe: str, *, complete_only: bool = True) -> CandleSeries:
        """Aggregate into a longer timeframe (open first, high max, low min, close last,
        volume sum), bins aligned to the epoch (weeks to Monday). With ``complete_only``
        a bin missing any source candle is dropped."""
        target = parse_timeframe(timeframe)
        source = self.interval
        if target % source:
            raise ValueError(f"Cannot resample {self.timeframe} into {timeframe}")
        per_bin = target // source
        anchor = WEEK_ANCHOR if timeframe.endswith("w") else EPOCH
        bins: dict[datetime, list[Candle]] = {}
        for candle in self.candles:
            bin_start = candle.open_time - (candle.open_time - anchor) % target
            bins.setdefault(bin_start, []).append(candle)
        out = [
            Candle(
                open_time=bin_start,
                open=group[0].open,
                high=max(c.high for c in group),
                low=min(c.low for c in group),
                close=group[-1].close,
                volume=sum((c.volume for c in group), Decimal(0)),
            )
            for bin_start, group in bins.items()
            if not complete_only or len(group) == per_bin
        ]
        return CandleSeries(self.symbol, timeframe, tuple(out), self.exchange, self.origin)
