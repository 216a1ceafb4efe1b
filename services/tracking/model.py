"""The tracker's values: what is tracked, the candles it reads, the outcome and its events.

Pure data, no I/O. Prices that leave the tracker are ``Decimal``; candle prices live in numpy
``float64`` arrays only to be compared (rounding a decimal text to the nearest double keeps
order and equality of any two prices with fewer than 16 significant digits), and a price read
from a candle is turned back into ``Decimal`` through its shortest text (``Decimal(repr(x))``),
the way ``candle_files`` reads feather floats, so a number is read one way everywhere.

Times are aware UTC datetimes; candle arrays hold the candle *open* in epoch seconds (int64).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_FILL_WINDOW",
    "DEFAULT_MAX_LIFE",
    "CandleArrays",
    "ChannelMove",
    "MoveKind",
    "Outcome",
    "Result",
    "TrackEvent",
    "TrackedSignal",
    "to_decimal",
]

DEFAULT_FILL_WINDOW: Final = timedelta(hours=72)
DEFAULT_MAX_LIFE: Final = timedelta(days=30)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def to_decimal(value: float) -> Decimal:
    """A candle price back to ``Decimal`` through its shortest round-trip text."""
    return Decimal(repr(float(value)))


class Result(StrEnum):
    """How a tracked signal ended (``open`` while it has not)."""

    OPEN = "open"
    TP_ALL = "tp_all"
    TP_PARTIAL_THEN_SL = "tp_partial_then_sl"
    SL = "sl"
    EXPIRED = "expired"
    NOT_FILLED = "not_filled"
    NO_DATA = "no_data"
    # followed outcome only: the channel closed or cancelled it
    CLOSED = "closed"
    CANCELLED = "cancelled"


FINAL: Final = frozenset(Result) - {Result.OPEN}


@dataclass(frozen=True, slots=True)
class TrackedSignal:
    """The parts of an entry signal the tracker reads. ``is_long`` False is a short.
    A market entry has ``entry_low`` = ``entry_high`` = None; a single price p has both p."""

    is_long: bool
    posted_at: datetime
    entry_low: Decimal | None
    entry_high: Decimal | None
    targets: tuple[Decimal, ...]
    stop: Decimal | None

    @property
    def is_market(self) -> bool:
        return self.entry_low is None or self.entry_high is None


@dataclass(frozen=True, slots=True)
class CandleArrays:
    """One pair's candles of one timeframe, sorted by open time, no duplicates."""

    symbol: str
    timeframe_s: int
    times: Ints  # candle open, epoch seconds
    open: Floats
    high: Floats
    low: Floats
    close: Floats

    def __len__(self) -> int:
        return int(self.times.shape[0])

    def index_at_or_after(self, at: datetime) -> int:
        """Index of the first candle opening at or after ``at`` (``len`` when none)."""
        return int(np.searchsorted(self.times, int(at.timestamp()), side="left"))

    def time_of(self, index: int) -> datetime:
        return datetime.fromtimestamp(int(self.times[index]), tz=UTC)

    def between(self, start: datetime, end: datetime, most: int | None = None) -> CandleArrays:
        """The candles opening in [start, end); with ``most``, only the latest ``most``."""
        first, last = self.index_at_or_after(start), self.index_at_or_after(end)
        if most is not None:
            first = max(first, last - most)
        first = min(first, last)
        return CandleArrays(
            self.symbol,
            self.timeframe_s,
            self.times[first:last],
            self.open[first:last],
            self.high[first:last],
            self.low[first:last],
            self.close[first:last],
        )

    @classmethod
    def empty(cls, symbol: str, timeframe_s: int) -> CandleArrays:
        none = np.array([], dtype=np.float64)
        return cls(symbol, timeframe_s, np.array([], dtype=np.int64), none, none, none, none)


class MoveKind(StrEnum):
    """A channel update the followed outcome applies."""

    MOVE_SL = "move_sl"  # price, or None for "to entry" (the fill price)
    CLOSE = "close"  # close what is left at market
    PARTIAL_CLOSE = "partial_close"  # close ``fraction`` of what is left at market
    CANCEL = "cancel"  # before the fill: no trade; after it: close at market


@dataclass(frozen=True, slots=True)
class ChannelMove:
    at: datetime
    kind: MoveKind
    price: Decimal | None = None
    fraction: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TrackEvent:
    """One step of a tracked signal. ``kind``: filled | tp | sl | expired | not_filled |
    sl_moved | partial_close | closed | cancelled. ``target`` is 1-based for ``tp``."""

    kind: str
    at: datetime
    price: Decimal | None = None
    target: int | None = None

    def key(self) -> str:
        """Stable identity of the event within its outcome (outbox dedupe, resume): a
        recomputation with more candles dates every earlier event the same way."""
        suffix = f"{self.target}" if self.target is not None else ""
        return f"{self.kind}{suffix}@{int(self.at.timestamp())}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A tracked signal's outcome, recomputable from the same candles and rules.
    ``r`` is None without a stop, before a fill, and while open. ``checked_to`` is the close
    time of the last candle read (None when none was)."""

    result: Result
    filled_at: datetime | None = None
    fill_price: Decimal | None = None
    targets_hit: int = 0
    stop_hit: bool = False
    closed_at: datetime | None = None
    r: Decimal | None = None
    events: tuple[TrackEvent, ...] = field(default=())
    checked_to: datetime | None = None

    @property
    def is_final(self) -> bool:
        return self.result in FINAL

    def tp1_at(self) -> datetime | None:
        return next((e.at for e in self.events if e.kind == "tp" and e.target == 1), None)
