"""A signal's outcome from candles: the price outcome and the followed outcome (issue 10 rules).

The rules, exactly (so anyone can recompute an outcome from the same candles):

- Only candles that open at or after the post time count. No candle for the pair, or none in
  the fill window, is ``no_data``.
- Entry: ``market`` fills at the open of the first candle. A zone [low, high] (a single price p
  is low = high = p) fills a long at the first candle whose low <= high, at min(open, high); a
  short at the first candle whose high >= low, at max(open, low). Not filled by the end of the
  fill window (72 h) is ``not_filled``.
- From the fill candle on: a long hits its stop when low <= stop and target k when high >=
  target k (mirrored for a short). Targets are hit in order, several in one candle all count;
  the stop and a target in the same candle: the stop counts first. The signal ends at the stop,
  at the last target, or when its life (30 days from the post) is over: ``expired``, what is
  left closed at the close of the last candle of its life.
- An entry that fills at or past its stop (a candle opening through it) is stopped at once, at
  the fill: ``sl``, R = -1 (the stop price would show a profit for a trade that lost).
- R with an even split: each hit target closes an even share of what is left (1/n of the
  position when nothing else closed part of it) at its price, the stop or the end closes the
  rest; R = P/L per unit / |fill - signal stop|, to four decimal places. No stop: R is None.
- The followed outcome applies the channel's own updates on top, each from the first candle
  that opens at or after it: a moved stop (to a price, or to the fill price: "to entry"),
  ``close`` (what is left, at that candle's open: ``closed``), a partial close (that share of
  what is left), ``cancel`` (before the fill: ``cancelled``, no trade; after it: a close).
  R stays measured against the signal's own stop.
- A signal whose fill window or life outlives the candles is ``open``; ``checked_to`` says how
  far the candles went, and recomputing with more candles continues it.

Events are dated by the open of the candle they happened in (a move by its own time). The
search is vectorised: each question ("the first candle from i whose low <= x") is a numpy scan
over growing chunks, so a signal that ends early never reads its whole 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import numpy as np

from services.tracking.model import (
    DEFAULT_FILL_WINDOW,
    DEFAULT_MAX_LIFE,
    CandleArrays,
    ChannelMove,
    Floats,
    MoveKind,
    Outcome,
    Result,
    TrackedSignal,
    TrackEvent,
    to_decimal,
)

__all__ = ["followed_outcome", "price_outcome", "tracked_signal"]

_FIRST_CHUNK: Final = 256
NOT_FOUND: Final = -1
R_PLACES: Final = Decimal("0.0001")  # R is told to four places (a third of a target is exact)


def tracked_signal(
    *,
    side: str | None,
    posted_at: datetime,
    entry_low: Decimal | None,
    entry_high: Decimal | None,
    entry_is_market: bool,
    targets: Sequence[Decimal],
    stop: Decimal | None,
) -> TrackedSignal | None:
    """The tracker's view of a parsed entry signal; None when it cannot be tracked (no side,
    or neither an entry price nor a market entry)."""
    if side not in ("long", "short"):
        return None
    low, high = entry_low, entry_high if entry_high is not None else entry_low
    if low is None and high is not None:
        low = high
    if entry_is_market or low is None or high is None:
        low = high = None
        if not entry_is_market:
            return None
    elif low > high:
        low, high = high, low
    return TrackedSignal(
        is_long=side == "long",
        posted_at=posted_at,
        entry_low=low,
        entry_high=high,
        targets=tuple(targets),
        stop=stop,
    )


def price_outcome(
    signal: TrackedSignal,
    candles: CandleArrays | None,
    *,
    now: datetime | None = None,
    fill_window: timedelta = DEFAULT_FILL_WINDOW,
    max_life: timedelta = DEFAULT_MAX_LIFE,
) -> Outcome:
    """The signal judged on prices alone."""
    return followed_outcome(
        signal, candles, (), now=now, fill_window=fill_window, max_life=max_life
    )


def followed_outcome(
    signal: TrackedSignal,
    candles: CandleArrays | None,
    moves: Sequence[ChannelMove],
    *,
    now: datetime | None = None,
    fill_window: timedelta = DEFAULT_FILL_WINDOW,
    max_life: timedelta = DEFAULT_MAX_LIFE,
) -> Outcome:
    """The signal with the channel's updates applied on top. ``now``: candles that have not
    closed by then are left out (a live series' forming candle)."""
    if candles is None or len(candles) == 0:
        return Outcome(Result.NO_DATA)
    walk = _Walk(signal, candles, sorted(moves, key=lambda m: m.at), now, fill_window, max_life)
    return walk.run()


# --- the walk ---------------------------------------------------------------------------------


def _first(values: Floats, start: int, stop: int, level: float, *, at_most: bool) -> int:
    """First index in [start, stop) with values <= level (``at_most``) or >= level."""
    step = _FIRST_CHUNK
    while start < stop:
        end = min(stop, start + step)
        chunk = values[start:end]
        mask = chunk <= level if at_most else chunk >= level
        if mask.any():
            return start + int(np.argmax(mask))
        start, step = end, step * 4
    return NOT_FOUND


@dataclass(slots=True)
class _Position:
    fill: Decimal
    quantity: Decimal = Decimal(1)
    pnl: Decimal = Decimal(0)  # per unit of the whole position

    def close(self, share: Decimal, price: Decimal, is_long: bool) -> None:
        move = price - self.fill if is_long else self.fill - price
        self.pnl += share * move
        self.quantity -= share


@dataclass(slots=True)
class _Walk:
    signal: TrackedSignal
    candles: CandleArrays
    moves: list[ChannelMove]
    now: datetime | None
    fill_window: timedelta
    max_life: timedelta
    events: list[TrackEvent] = field(default_factory=list)
    stop: Decimal | None = None
    end: int = 0

    def run(self) -> Outcome:
        c = self.candles
        self.end = len(c)
        if self.now is not None:
            cut = int(self.now.timestamp()) - c.timeframe_s
            self.end = int(np.searchsorted(c.times, cut, side="right"))
        self.stop = self.signal.stop
        start = c.index_at_or_after(self.signal.posted_at)
        window_end = self.signal.posted_at + self.fill_window
        window = min(c.index_at_or_after(window_end), self.end)
        if start >= self.end:
            return self._no_candles(window_end)
        if c.time_of(start) >= window_end:
            return Outcome(Result.NO_DATA)
        fill_at, fill_price = self._fill(start, window)
        cancel = self._cancel_before(fill_at if fill_at != NOT_FOUND else window)
        if cancel is not None:
            self.events.append(TrackEvent("cancelled", cancel.at))
            return self._outcome(Result.CANCELLED, closed_at=cancel.at)
        if fill_at == NOT_FOUND:
            if self._covered(window_end):
                self.events.append(TrackEvent("not_filled", window_end))
                return self._outcome(Result.NOT_FILLED, closed_at=window_end)
            return self._outcome(Result.OPEN)
        return self._manage(fill_at, fill_price)

    def _no_candles(self, window_end: datetime) -> Outcome:
        """No candle at or after the post: the data ends before it (no_data), or, live, the
        first candle has not closed yet (open)."""
        if self.now is not None and self.now < window_end:
            return self._outcome(Result.OPEN)
        return Outcome(Result.NO_DATA)

    def _covered(self, moment: datetime) -> bool:
        last = self._checked_to()
        return last is not None and last >= moment

    def _checked_to(self) -> datetime | None:
        if self.end == 0:
            return None
        return self.candles.time_of(self.end - 1) + timedelta(seconds=self.candles.timeframe_s)

    def _fill(self, start: int, window: int) -> tuple[int, Decimal]:
        c, s = self.candles, self.signal
        if s.entry_low is None or s.entry_high is None:
            return start, to_decimal(c.open[start])
        if s.is_long:
            index = _first(c.low, start, window, float(s.entry_high), at_most=True)
            if index == NOT_FOUND:
                return NOT_FOUND, Decimal(0)
            opened = to_decimal(c.open[index])
            return index, min(opened, s.entry_high)
        index = _first(c.high, start, window, float(s.entry_low), at_most=False)
        if index == NOT_FOUND:
            return NOT_FOUND, Decimal(0)
        return index, max(to_decimal(c.open[index]), s.entry_low)

    def _cancel_before(self, index: int) -> ChannelMove | None:
        """A cancel or close before the fill candle (moves of the stop apply at the fill)."""
        limit = self.candles.times[index] if index < len(self.candles) else None
        for move in self.moves:
            at = int(move.at.timestamp())
            if limit is not None and at > int(limit):
                break
            if move.kind in (MoveKind.CANCEL, MoveKind.CLOSE) and at <= self._checked_seconds():
                return move
        return None

    def _checked_seconds(self) -> int:
        checked = self._checked_to()
        return int(checked.timestamp()) if checked is not None else 0

    # --- after the fill ---------------------------------------------------------------------

    def _manage(self, fill_at: int, fill_price: Decimal) -> Outcome:
        c, s = self.candles, self.signal
        fill_time = c.time_of(fill_at)
        self.events.append(TrackEvent("filled", fill_time, fill_price))
        position = _Position(fill_price)
        life_end = s.posted_at + self.max_life
        life = min(c.index_at_or_after(life_end), self.end)
        pending = [m for m in self.moves if m.at > fill_time]
        for early in self.moves:
            if early.at <= fill_time and early.kind is MoveKind.MOVE_SL:
                self._move_stop(early, fill_price, record=False)
        if self._past_stop(fill_price):
            self.events.append(TrackEvent("sl", fill_time, fill_price))
            return Outcome(
                Result.SL,
                filled_at=fill_time,
                fill_price=fill_price,
                stop_hit=True,
                closed_at=fill_time,
                r=Decimal(-1).quantize(R_PLACES),
                events=tuple(self.events),
                checked_to=self._checked_to(),
            )
        cursor, hit = fill_at, 0
        while True:
            move = pending[0] if pending else None
            boundary = life if move is None else min(c.index_at_or_after(move.at), life)
            ended, cursor, hit = self._scan(position, cursor, boundary, hit)
            if ended is not None:
                return self._finish(ended, position, fill_at, fill_price, hit)
            if move is None or boundary >= life:
                break
            pending.pop(0)
            closed = self._apply(move, position, boundary, fill_price)
            if closed:
                return self._finish(Result.CLOSED, position, fill_at, fill_price, hit)
        if self._covered(life_end):
            last = to_decimal(c.close[life - 1])
            position.close(position.quantity, last, s.is_long)
            self.events.append(TrackEvent("expired", life_end, last))
            return self._finish(Result.EXPIRED, position, fill_at, fill_price, hit, life_end)
        return self._finish(Result.OPEN, position, fill_at, fill_price, hit)

    def _past_stop(self, fill_price: Decimal) -> bool:
        """The entry filled at or past the signal's own stop (a gap through it); a stop the
        channel moved before the fill (e.g. to entry) is not one the entry can gap through."""
        stop = self.signal.stop
        if stop is None:
            return False
        return fill_price <= stop if self.signal.is_long else fill_price >= stop

    def _scan(
        self, position: _Position, start: int, stop: int, hit: int
    ) -> tuple[Result | None, int, int]:
        """Candles [start, stop): the stop first, then the targets before it."""
        c, s = self.candles, self.signal
        if start >= stop:
            return None, start, hit
        stop_at = NOT_FOUND
        if self.stop is not None:
            values = c.low if s.is_long else c.high
            stop_at = _first(values, start, stop, float(self.stop), at_most=s.is_long)
        scan_to = stop if stop_at == NOT_FOUND else stop_at
        cursor = start
        while hit < len(s.targets) and cursor < scan_to:
            target = s.targets[hit]
            values = c.high if s.is_long else c.low
            at = _first(values, cursor, scan_to, float(target), at_most=not s.is_long)
            if at == NOT_FOUND:
                break
            share = position.quantity / (len(s.targets) - hit)
            position.close(share, target, s.is_long)
            hit += 1
            self.events.append(TrackEvent("tp", c.time_of(at), target, hit))
            cursor = at
        if s.targets and hit == len(s.targets):
            return Result.TP_ALL, cursor, hit
        if stop_at != NOT_FOUND and self.stop is not None:
            position.close(position.quantity, self.stop, s.is_long)
            self.events.append(TrackEvent("sl", c.time_of(stop_at), self.stop))
            return (Result.TP_PARTIAL_THEN_SL if hit else Result.SL), stop_at, hit
        return None, stop, hit

    def _apply(
        self, move: ChannelMove, position: _Position, index: int, fill_price: Decimal
    ) -> bool:
        """Apply a channel update at candle ``index``; True when it closed the position."""
        if move.kind is MoveKind.MOVE_SL:
            self._move_stop(move, fill_price, record=True)
            return False
        price = to_decimal(self.candles.open[index])
        if move.kind is MoveKind.PARTIAL_CLOSE and move.fraction is not None:
            fraction = min(max(move.fraction, Decimal(0)), Decimal(1))
            position.close(position.quantity * fraction, price, self.signal.is_long)
            self.events.append(TrackEvent("partial_close", move.at, price))
            return position.quantity <= 0
        if move.kind is MoveKind.PARTIAL_CLOSE:
            return False
        position.close(position.quantity, price, self.signal.is_long)
        self.events.append(TrackEvent("closed", move.at, price))
        return True

    def _move_stop(self, move: ChannelMove, fill_price: Decimal, *, record: bool) -> None:
        self.stop = move.price if move.price is not None else fill_price
        if record:
            self.events.append(TrackEvent("sl_moved", move.at, self.stop))

    def _finish(
        self,
        result: Result,
        position: _Position,
        fill_at: int,
        fill_price: Decimal,
        hit: int,
        closed_at: datetime | None = None,
    ) -> Outcome:
        final = result is not Result.OPEN
        if final and closed_at is None:
            closed_at = self.events[-1].at
        risk = abs(fill_price - self.signal.stop) if self.signal.stop is not None else None
        r = (position.pnl / risk).quantize(R_PLACES) if final and risk else None
        return Outcome(
            result=result,
            filled_at=self.candles.time_of(fill_at),
            fill_price=fill_price,
            targets_hit=hit,
            stop_hit=any(e.kind == "sl" for e in self.events),
            closed_at=closed_at if final else None,
            r=r,
            events=tuple(self.events),
            checked_to=self._checked_to(),
        )

    def _outcome(self, result: Result, closed_at: datetime | None = None) -> Outcome:
        return Outcome(
            result=result,
            closed_at=closed_at,
            events=tuple(self.events),
            checked_to=self._checked_to(),
        )
