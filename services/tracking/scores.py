"""A source's scores from its signals' stored outcomes: pure arithmetic, no I/O.

The caller reads one ``ScoredSignal`` per tracked signal of a source (its price outcome and the
channel's "TP n hit" claims) and asks for a ``SourceScore`` over a window of 30 or 90 days or
all time; ``equity_curve`` gives the points of the source's chart and ``rank`` orders sources
for /top. Invariants:

- R is ``Decimal`` end to end; rates are ``Decimal`` fractions in [0, 1] (render with
  ``format(rate, ".0%")``); a figure with nothing to average over is ``None``, never 0.
- A window counts the signals *posted* in ``[now - days, now]`` (both edges in); signals
  posted after ``now`` are never counted.
- Trades are the signals with an R (filled, final, with a stop); the equity curve, drawdown
  and losing streak take them in close order (``closed_at``, then ``posted_at``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, NamedTuple, TypeVar

from services.tracking.model import FINAL, Result

__all__ = [
    "EquityPoint",
    "ScoredSignal",
    "SourceScore",
    "equity_curve",
    "in_window",
    "rank",
    "score",
]

ZERO: Final = Decimal(0)

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class ScoredSignal:
    """What the scores read of one tracked signal.

    ``r`` is the outcome's R (None without a stop, before a fill, while open). ``claimed_tp``
    is how many targets the channel claimed hit ("TP 2 hit" -> 2), ``confirmed_tp`` how many of
    those the prices confirm (at most ``claimed_tp``)."""

    posted_at: datetime
    result: Result
    r: Decimal | None = None
    filled_at: datetime | None = None
    tp1_at: datetime | None = None
    closed_at: datetime | None = None
    claimed_tp: int = 0
    confirmed_tp: int = 0


class EquityPoint(NamedTuple):
    """One closed trade on the equity curve: its R, the running sum, and how far that sum is
    below its highest point so far (the curve starts at 0 before the first trade)."""

    closed_at: datetime
    r: Decimal
    cumulative: Decimal
    drawdown: Decimal


@dataclass(frozen=True, slots=True)
class SourceScore:
    """A source's figures over one window (``days`` None: all time).

    - ``signals``: posted in the window; ``filled``: of those, how many filled.
    - ``fill_rate``: ``filled`` over the signals whose fill is decided (filled, or final
      without a fill, ``no_data`` left out: an unknown pair says nothing about the channel).
    - ``win_rate``: TP1 reached over the filled signals that are final (``decided``).
    - ``trades``: signals with an R. ``avg_r``: their mean R; ``avg_win_r`` / ``avg_loss_r``:
      mean R of those above / below 0 (the loss average is negative).
    - ``expectancy``: the R a follower earns per signal acted on. A signal that never filled
      counts as a trade of 0 R (the order rested and was cancelled, nothing won or lost), so
      ``expectancy = sum(R) / (trades + not_filled)``, i.e. ``avg_r`` scaled by the share of
      entries that filled: it differs from ``avg_r`` exactly when some entries missed, and
      ranks a channel whose entries rarely fill below one with the same trades that fill.
    - ``profit_factor``: sum of winning R over |sum of losing R| (None with no losing trade).
    - ``max_drawdown``: the largest drop of cumulative R from a peak (the start, 0, counts as
      a peak), as a non-negative number of R.
    - ``median_time_to_tp1``: from the fill to TP1, over the signals that reached it.
    - ``longest_losing_streak``: most consecutive trades with R < 0 in close order.
    - ``claims_confirmed`` of ``claims``: the channel's "TP hit" claims the prices confirm.
    """

    days: int | None
    signals: int
    filled: int
    fill_rate: Decimal | None
    decided: int
    wins: int
    win_rate: Decimal | None
    trades: int
    avg_r: Decimal | None
    avg_win_r: Decimal | None
    avg_loss_r: Decimal | None
    expectancy: Decimal | None
    profit_factor: Decimal | None
    max_drawdown: Decimal
    total_r: Decimal
    median_time_to_tp1: timedelta | None
    longest_losing_streak: int
    claims: int
    claims_confirmed: int


def in_window(
    signals: Iterable[ScoredSignal], now: datetime, days: int | None
) -> list[ScoredSignal]:
    """The signals posted in ``[now - days, now]`` (all posted up to ``now`` when ``days`` is
    None). Raises ``ValueError`` for a negative ``days``."""
    if days is not None and days < 0:
        raise ValueError(f"a window of {days} days")
    start = None if days is None else now - timedelta(days=days)
    return [s for s in signals if s.posted_at <= now and (start is None or s.posted_at >= start)]


def equity_curve(signals: Iterable[ScoredSignal]) -> list[EquityPoint]:
    """The trades (signals with an R and a close time) in close order, with the running sum
    of R and the drawdown below its running peak."""
    trades: list[tuple[datetime, datetime, Decimal]] = []
    for s in signals:
        if s.r is not None and s.closed_at is not None:
            trades.append((s.closed_at, s.posted_at, s.r))
    trades.sort(key=lambda t: (t[0], t[1]))
    points: list[EquityPoint] = []
    cumulative = peak = ZERO
    for closed_at, _posted_at, r in trades:
        cumulative += r
        peak = max(peak, cumulative)
        points.append(EquityPoint(closed_at, r, cumulative, peak - cumulative))
    return points


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def _ratio(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _longest_losing_streak(points: Sequence[EquityPoint]) -> int:
    longest = current = 0
    for point in points:
        current = current + 1 if point.r < 0 else 0
        longest = max(longest, current)
    return longest


def score(signals: Iterable[ScoredSignal], now: datetime, days: int | None = None) -> SourceScore:
    """The figures of the signals posted in the window (see ``SourceScore`` for each one).
    Raises ``ValueError`` for a negative ``days``."""
    window = in_window(signals, now, days)
    filled = [s for s in window if s.filled_at is not None]
    missed = [
        s
        for s in window
        if s.filled_at is None and s.result in FINAL and s.result is not Result.NO_DATA
    ]
    decided = [s for s in filled if s.result in FINAL]
    wins = [s for s in decided if s.tp1_at is not None]
    points = equity_curve(window)
    rs = [p.r for p in points]
    winning = [r for r in rs if r > 0]
    losing = [r for r in rs if r < 0]
    not_filled = sum(1 for s in missed if s.result is Result.NOT_FILLED)
    acted_on = len(rs) + not_filled
    to_tp1 = [s.tp1_at - s.filled_at for s in filled if s.tp1_at is not None and s.filled_at]
    return SourceScore(
        days=days,
        signals=len(window),
        filled=len(filled),
        fill_rate=_ratio(len(filled), len(filled) + len(missed)),
        decided=len(decided),
        wins=len(wins),
        win_rate=_ratio(len(wins), len(decided)),
        trades=len(rs),
        avg_r=_mean(rs),
        avg_win_r=_mean(winning),
        avg_loss_r=_mean(losing),
        expectancy=sum(rs, ZERO) / acted_on if acted_on else None,
        profit_factor=sum(winning, ZERO) / -sum(losing, ZERO) if losing else None,
        max_drawdown=max((p.drawdown for p in points), default=ZERO),
        total_r=sum(rs, ZERO),
        median_time_to_tp1=_median(to_tp1),
        longest_losing_streak=_longest_losing_streak(points),
        claims=sum(s.claimed_tp for s in window),
        claims_confirmed=sum(min(s.confirmed_tp, s.claimed_tp) for s in window),
    )


def rank(scores: Iterable[tuple[K, SourceScore]], min_signals: int) -> list[tuple[K, SourceScore]]:
    """The sources for /top: those with at least ``min_signals`` signals and an expectancy,
    best expectancy first, ties broken by more signals (then the order given)."""
    eligible = [
        (key, s) for key, s in scores if s.signals >= min_signals and s.expectancy is not None
    ]
    return sorted(eligible, key=lambda item: (-(item[1].expectancy or ZERO), -item[1].signals))
