"""A source's scores from stored outcomes: hand-computed tables, windows, ranking, properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.tracking.model import Result
from services.tracking.scores import (
    EquityPoint,
    ScoredSignal,
    SourceScore,
    equity_curve,
    in_window,
    rank,
    score,
)

NOW = datetime(2030, 1, 31, tzinfo=UTC)
D = Decimal
H = timedelta(hours=1)


def day(n: int) -> datetime:
    return datetime(2030, 1, n, tzinfo=UTC)


def sig(
    posted: int,
    result: Result,
    r: str | None = None,
    *,
    filled: bool = True,
    tp1_after: timedelta | None = None,
    closed: int | None = None,
    claimed: int = 0,
    confirmed: int = 0,
) -> ScoredSignal:
    """A signal posted on day ``posted`` of January 2030, filled an hour later."""
    filled_at = day(posted) + H if filled else None
    return ScoredSignal(
        posted_at=day(posted),
        result=result,
        r=None if r is None else D(r),
        filled_at=filled_at,
        tp1_at=None if tp1_after is None or filled_at is None else filled_at + tp1_after,
        closed_at=None if closed is None else day(closed),
        claimed_tp=claimed,
        confirmed_tp=confirmed,
    )


MIXED = [
    sig(1, Result.TP_ALL, "2", tp1_after=3 * H, closed=2, claimed=3, confirmed=3),
    sig(2, Result.SL, "-1", closed=3, claimed=1, confirmed=0),
    sig(3, Result.TP_PARTIAL_THEN_SL, "0.5", tp1_after=H, closed=4, claimed=2, confirmed=1),
    sig(4, Result.SL, "-1", closed=5),
    sig(5, Result.SL, "-1", closed=6),
    sig(6, Result.NOT_FILLED, filled=False, closed=9),
    sig(7, Result.NO_DATA, filled=False),
    sig(8, Result.OPEN, tp1_after=5 * H),  # filled, TP1 reached, still running
    sig(9, Result.OPEN, filled=False),  # still waiting for its entry
    sig(10, Result.EXPIRED, "0.25", closed=20),
]

EMPTY_FIGURES: dict[str, Any] = {
    "signals": 0,
    "filled": 0,
    "fill_rate": None,
    "decided": 0,
    "wins": 0,
    "win_rate": None,
    "trades": 0,
    "avg_r": None,
    "avg_win_r": None,
    "avg_loss_r": None,
    "expectancy": None,
    "profit_factor": None,
    "max_drawdown": D(0),
    "total_r": D(0),
    "median_time_to_tp1": None,
    "longest_losing_streak": 0,
    "claims": 0,
    "claims_confirmed": 0,
}

CASES: list[tuple[str, list[ScoredSignal], dict[str, Any]]] = [
    ("empty", [], EMPTY_FIGURES),
    (
        # curve 2, 1, 1.5, 0.5, -0.5, -0.25: peak 2, lowest point after it -0.5
        "mixed",
        MIXED,
        {
            "signals": 10,
            "filled": 7,
            "fill_rate": D(7) / D(8),  # the open unfilled one and no_data are undecided
            "decided": 6,
            "wins": 2,
            "win_rate": D(2) / D(6),
            "trades": 6,
            "avg_r": D("-0.25") / 6,
            "avg_win_r": D("2.75") / 3,
            "avg_loss_r": D(-1),
            "expectancy": D("-0.25") / 7,  # 6 trades + 1 entry that never filled
            "profit_factor": D("2.75") / 3,
            "max_drawdown": D("2.5"),
            "total_r": D("-0.25"),
            "median_time_to_tp1": 3 * H,  # 1 h, 3 h, 5 h
            "longest_losing_streak": 2,
            "claims": 6,
            "claims_confirmed": 4,
        },
    ),
    (
        "no losses",
        [sig(1, Result.TP_ALL, "1", tp1_after=H, closed=2), sig(2, Result.TP_ALL, "2", closed=3)],
        EMPTY_FIGURES
        | {
            "signals": 2,
            "filled": 2,
            "fill_rate": D(1),
            "decided": 2,
            "wins": 1,
            "win_rate": D("0.5"),
            "trades": 2,
            "avg_r": D("1.5"),
            "avg_win_r": D("1.5"),
            "expectancy": D("1.5"),
            "total_r": D(3),
            "median_time_to_tp1": H,
        },
    ),
    (
        "only losses",
        [sig(1, Result.SL, "-1", closed=2), sig(2, Result.SL, "-0.5", closed=3)],
        EMPTY_FIGURES
        | {
            "signals": 2,
            "filled": 2,
            "fill_rate": D(1),
            "decided": 2,
            "win_rate": D(0),
            "trades": 2,
            "avg_r": D("-0.75"),
            "avg_loss_r": D("-0.75"),
            "expectancy": D("-0.75"),
            "profit_factor": D(0),
            "max_drawdown": D("1.5"),
            "total_r": D("-1.5"),
            "longest_losing_streak": 2,
        },
    ),
    (
        "all open",
        [sig(1, Result.OPEN), sig(2, Result.OPEN, filled=False, claimed=1)],
        EMPTY_FIGURES | {"signals": 2, "filled": 1, "fill_rate": D(1), "claims": 1},
    ),
    (
        # a stop-less signal has no R: it counts for the win rate, not for R figures
        "no stop",
        [sig(1, Result.TP_ALL, tp1_after=2 * H, closed=2, claimed=2, confirmed=5)],
        EMPTY_FIGURES
        | {
            "signals": 1,
            "filled": 1,
            "fill_rate": D(1),
            "decided": 1,
            "wins": 1,
            "win_rate": D(1),
            "median_time_to_tp1": 2 * H,
            "claims": 2,
            "claims_confirmed": 2,  # never more confirmed than claimed
        },
    ),
    (
        "only missed entries",
        [sig(1, Result.NOT_FILLED, filled=False), sig(2, Result.CANCELLED, filled=False)],
        EMPTY_FIGURES | {"signals": 2, "fill_rate": D(0), "expectancy": D(0)},
    ),
]


@pytest.mark.parametrize(
    ("signals", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_score_figures(signals: list[ScoredSignal], expected: dict[str, Any]) -> None:
    result = score(signals, NOW)
    got = {name: getattr(result, name) for name in expected}
    assert got == expected
    assert result.days is None


def test_equity_curve_is_in_close_order_with_drawdown() -> None:
    points = equity_curve(MIXED)
    assert points == [
        EquityPoint(day(2), D(2), D(2), D(0)),
        EquityPoint(day(3), D(-1), D(1), D(1)),
        EquityPoint(day(4), D("0.5"), D("1.5"), D("0.5")),
        EquityPoint(day(5), D(-1), D("0.5"), D("1.5")),
        EquityPoint(day(6), D(-1), D("-0.5"), D("2.5")),
        EquityPoint(day(20), D("0.25"), D("-0.25"), D("2.25")),
    ]


def test_equity_curve_orders_same_close_by_post_and_counts_the_start_as_a_peak() -> None:
    """Two trades closed together go in post order; a first loss is a drawdown from 0."""
    later = sig(3, Result.SL, "-1", closed=5)
    earlier = sig(2, Result.TP_ALL, "3", closed=5)
    first = sig(1, Result.SL, "-2", closed=4)
    points = equity_curve([later, earlier, first])
    assert [p.r for p in points] == [D(-2), D(3), D(-1)]
    assert [p.drawdown for p in points] == [D(2), D(0), D(1)]


def test_equity_curve_of_nothing_closed_is_empty() -> None:
    assert equity_curve([sig(1, Result.OPEN), sig(2, Result.NOT_FILLED, filled=False)]) == []


WINDOW_START = NOW - timedelta(days=30)
EDGES = [
    ("just before the window", WINDOW_START - timedelta(microseconds=1), False),
    ("at the window's start", WINDOW_START, True),
    ("inside", NOW - timedelta(days=3), True),
    ("at now", NOW, True),
    ("after now", NOW + timedelta(microseconds=1), False),
]


@pytest.mark.parametrize(
    ("posted_at", "counted"), [e[1:] for e in EDGES], ids=[e[0] for e in EDGES]
)
def test_window_edges(posted_at: datetime, counted: bool) -> None:
    signal = ScoredSignal(posted_at=posted_at, result=Result.SL, r=D(-1), closed_at=posted_at)
    assert in_window([signal], NOW, 30) == ([signal] if counted else [])
    assert score([signal], NOW, 30).signals == int(counted)


def test_windows_of_30_90_days_and_all_time() -> None:
    old = [
        ScoredSignal(posted_at=NOW - timedelta(days=60), result=Result.TP_ALL, r=D(3)),
        ScoredSignal(posted_at=NOW - timedelta(days=400), result=Result.SL, r=D(-1)),
    ]
    signals = [*MIXED, *old]
    assert [score(signals, NOW, days).signals for days in (30, 90, None)] == [10, 11, 12]
    assert score(signals, NOW, 90).days == 90
    assert score(signals, NOW, 0).signals == 0


def test_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="-1 days"):
        score(MIXED, NOW, -1)


def _score(signals: int, expectancy: str | None) -> SourceScore:
    return SourceScore(
        **(
            EMPTY_FIGURES
            | {"signals": signals, "expectancy": None if expectancy is None else D(expectancy)}
        ),
        days=30,
    )


def test_rank_by_expectancy_then_signals_with_a_minimum() -> None:
    scores = [
        ("few", _score(2, "5")),  # too few signals
        ("good", _score(10, "0.4")),
        ("best", _score(12, "0.9")),
        ("tied small", _score(20, "0.4")),
        ("no trades", _score(30, None)),
        ("bad", _score(10, "-0.2")),
        ("tied big", _score(40, "0.4")),
    ]
    ranked = rank(scores, min_signals=10)
    assert [key for key, _ in ranked] == ["best", "tied big", "tied small", "good", "bad"]


def test_rank_of_nothing() -> None:
    assert rank([], min_signals=5) == []


R_VALUES = st.decimals(min_value=-3, max_value=8, places=2, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(R_VALUES, st.integers(0, 29)), max_size=40))
def test_figures_agree_with_each_other(trades: list[tuple[Decimal, int]]) -> None:
    """Drawdown is bounded by the losses; profit factor, averages and expectancy reconcile."""
    signals = [
        ScoredSignal(
            posted_at=NOW - timedelta(days=30 - offset),
            result=Result.TP_ALL if r > 0 else Result.SL,
            r=r,
            filled_at=NOW - timedelta(days=30 - offset),
            closed_at=NOW - timedelta(days=29 - offset) + timedelta(seconds=i),
        )
        for i, (r, offset) in enumerate(trades)
    ]
    result = score(signals, NOW, 30)
    losses = [r for r, _ in trades if r < 0]
    wins = [r for r, _ in trades if r > 0]
    total = sum((r for r, _ in trades), D(0))
    assert D(0) <= result.max_drawdown <= -sum(losses, D(0))
    assert result.total_r == total
    assert result.trades == len(trades)
    points = equity_curve(signals)
    assert result.max_drawdown == max((p.drawdown for p in points), default=D(0))
    assert all(p.drawdown >= 0 for p in points)
    if points:
        assert points[-1].cumulative == total
    assert result.longest_losing_streak <= len(losses)
    if losses:
        assert result.profit_factor is not None
        assert abs(result.profit_factor * -sum(losses, D(0)) - sum(wins, D(0))) < D("1e-20")
    else:
        assert result.profit_factor is None
        assert result.max_drawdown == 0
    if trades:
        assert result.expectancy == result.avg_r
        assert result.avg_r is not None
        assert abs(result.avg_r * len(trades) - total) < D("1e-20")
