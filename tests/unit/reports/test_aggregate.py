"""The report arithmetic as tables: win rate, expectancy, best and worst, open positions at a
price, periods on a local calendar (across midnight, a DST change, a month end) and paper
kept apart from live."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.domain import Side
from services.reports import aggregate
from services.reports.dto import Book, ClosedTrade, Unit
from services.reports.timezone import zone_of
from tests.unit.reports.helpers import LIVE, PAPER, D, trade, working

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("trades", "expected"),
    [
        pytest.param([], (0, 0, 0, "0", None, None, None, None, None), id="none"),
        pytest.param(
            [
                trade(1, "50", r="1.0"),
                trade(2, "-20", r="-1.0"),
                trade(3, "0", r="0"),
                trade(4, "10"),  # no stop: no R
            ],
            (4, 2, 1, "40", D("0.5"), D(10), D(0), 1, 2),
            id="mixed-with-a-scratch-and-no-stop",
        ),
        pytest.param(
            [trade(1, "-5", r="-0.5"), trade(2, "-15", r="-1.5")],
            (2, 0, 2, "-20", D(0), D(-10), D(-1), 1, 2),
            id="all-losses",
        ),
        pytest.param(
            [trade(1, "7.5", r="2"), trade(2, "2.5", r="1"), trade(3, "5", r="0.5")],
            (3, 3, 0, "15", D(1), D(5), D("3.5") / 3, 1, 2),
            id="all-wins",
        ),
        pytest.param(
            [
                trade(1, "30", closed=T0.replace(hour=15)),
                trade(2, "30", closed=T0.replace(hour=9)),
                trade(3, "-8", closed=T0.replace(hour=16)),
                trade(4, "-8", closed=T0.replace(hour=10)),
            ],
            (4, 2, 2, "44", D("0.5"), D(11), None, 2, 4),
            id="ties-go-to-the-earlier-close",
        ),
    ],
)
def test_figures(
    trades: list[ClosedTrade],
    expected: tuple[object, ...],
) -> None:
    fig = aggregate.figures(trades)
    count, wins, losses, realized, rate, expectancy, expectancy_r, best, worst = expected
    assert (fig.trades, fig.wins, fig.losses) == (count, wins, losses)
    assert fig.realized == D(str(realized))
    assert fig.win_rate == rate
    assert fig.expectancy == expectancy
    assert fig.expectancy_r == expectancy_r
    assert (fig.best.plan_id if fig.best else None) == best
    assert (fig.worst.plan_id if fig.worst else None) == worst


def test_fees_are_summed_and_already_in_the_pnl() -> None:
    fig = aggregate.figures([trade(1, "9.5", fees="0.5"), trade(2, "-10.25", fees="0.25")])
    assert fig.fees == D("0.75")
    assert fig.realized == D("-0.75")


def test_paper_and_live_are_apart_and_paper_comes_first() -> None:
    btc_quote = Book(live=True, quote="BTC")
    trades = [
        trade(1, "100", book=LIVE),
        trade(2, "-10", book=PAPER),
        trade(3, "0.001", book=btc_quote, symbol="ETH/BTC"),
        trade(4, "5", book=PAPER),
        trade(5, "-40", book=LIVE),
    ]
    groups = aggregate.by_book(trades)
    assert [book for book, _ in groups] == [PAPER, btc_quote, LIVE]
    sums = {book: aggregate.figures(group).realized for book, group in groups}
    assert sums == {PAPER: D(-5), LIVE: D(60), btc_quote: D("0.001")}
    assert [t.plan_id for t in dict(groups)[PAPER]] == [2, 4]  # order kept within a book


# -- open positions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_kwargs", "price", "unrealized", "r", "next_target"),
    [
        pytest.param({}, "105", "10", "0.50", ("110", 1), id="long-up"),
        pytest.param({}, "95", "-10", "-0.50", ("110", 1), id="long-down"),
        pytest.param(
            {"side": Side.SHORT, "stop": "110", "targets": ("90", "80")},
            "95",
            "10",
            "0.50",
            ("90", 1),
            id="short-down",
        ),
        pytest.param(
            {"closed": "1", "realized": "10", "targets_hit": 1, "stop": "90"},
            "105",
            "5",
            "0.75",  # (10 realised + 5 unrealised) / (|100 - 90| * 2 filled)
            ("120", 2),
            id="after-tp1",
        ),
        pytest.param({"targets_hit": 2}, "105", "10", "0.50", None, id="no-target-left"),
        pytest.param({"stop": None}, "105", "10", None, ("110", 1), id="no-stop-no-r"),
        pytest.param({}, None, None, None, ("110", 1), id="no-price"),
        pytest.param(
            {"avg_entry": None, "filled": "0"}, "105", None, None, ("110", 1), id="not-filled"
        ),
    ],
)
def test_open_trade_at_a_price(
    plan_kwargs: dict[str, object],
    price: str | None,
    unrealized: str | None,
    r: str | None,
    next_target: tuple[str, int] | None,
) -> None:
    plan = working(**plan_kwargs)  # type: ignore[arg-type]  # the table's kwargs, by name
    priced = aggregate.open_trade(plan, None if price is None else D(price), plan.opened_at)
    assert priced.unrealized == (None if unrealized is None else D(unrealized))
    assert priced.r == (None if r is None else D(r))
    got = None if priced.next_target is None else (priced.next_target, priced.target_no)
    assert got == (None if next_target is None else (D(next_target[0]), next_target[1]))


def test_open_trade_stake_is_the_margin_of_a_perp() -> None:
    priced = aggregate.open_trade(working(leverage=10), D(105), T0)
    assert priced.stake == D(20)  # 100 x 2 / 10
    assert priced.pnl == D(10)


# -- periods ------------------------------------------------------------------------------------

TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9, no DST
NEW_YORK = ZoneInfo("America/New_York")  # DST from 2026-03-08 02:00 local


def _rows(
    trades: list[ClosedTrade], now: datetime, unit: Unit, count: int, zone_name: str
) -> list[tuple[date, Decimal, int, int]]:
    zone = zone_of(zone_name)
    starts = aggregate.period_starts(now, unit, count, zone)
    rows = aggregate.periods(trades, starts, unit, zone)
    return [(r.start, r.pnl, r.trades, r.wins) for r in rows]


ACROSS_MIDNIGHT = [
    trade(1, "10", closed=datetime(2026, 3, 10, 14, 30, tzinfo=UTC)),  # Tokyo 23:30 on the 10th
    trade(2, "-4", closed=datetime(2026, 3, 10, 15, 30, tzinfo=UTC)),  # Tokyo 00:30 on the 11th
    trade(3, "6", closed=datetime(2026, 3, 9, 16, 0, tzinfo=UTC)),  # Tokyo 01:00 on the 10th
]
NOW = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # Tokyo: 01:00 on the 11th


@pytest.mark.parametrize(
    ("zone_name", "unit", "count", "expected"),
    [
        pytest.param(
            "Asia/Tokyo",
            "day",
            3,
            [
                (date(2026, 3, 11), D(-4), 1, 0),
                (date(2026, 3, 10), D(16), 2, 2),
                (date(2026, 3, 9), D(0), 0, 0),
            ],
            id="tokyo-days-split-at-local-midnight",
        ),
        pytest.param(
            "UTC",
            "day",
            2,
            [(date(2026, 3, 10), D(6), 2, 1), (date(2026, 3, 9), D(6), 1, 1)],
            id="the-same-trades-in-utc",
        ),
        pytest.param(
            "UTC+09:00",
            "day",
            1,
            [(date(2026, 3, 11), D(-4), 1, 0)],
            id="a-fixed-offset-reads-like-tokyo",
        ),
        pytest.param(
            "Asia/Tokyo",
            "week",
            2,
            [(date(2026, 3, 9), D(12), 3, 2), (date(2026, 3, 2), D(0), 0, 0)],
            id="tokyo-week-from-monday",
        ),
        pytest.param(
            "Asia/Tokyo",
            "day",
            1,
            [(date(2026, 3, 11), D(-4), 1, 0)],
            id="older-trades-are-left-out",
        ),
    ],
)
def test_periods_on_the_local_calendar(
    zone_name: str,
    unit: Unit,
    count: int,
    expected: list[tuple[date, Decimal, int, int]],
) -> None:
    assert _rows(ACROSS_MIDNIGHT, NOW, unit, count, zone_name) == expected


def test_months_in_new_york_across_a_month_end_and_dst() -> None:
    """A trade at 23:30 on 28 February in New York is February there, March in UTC; the
    week of the DST change starts on its local Monday."""
    trades = [
        trade(1, "5", closed=datetime(2026, 3, 1, 4, 30, tzinfo=UTC)),  # NY 2026-02-28 23:30
        trade(2, "7", closed=datetime(2026, 3, 9, 3, 30, tzinfo=UTC)),  # NY 2026-03-08 23:30 EDT
    ]
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert _rows(trades, now, "month", 2, "America/New_York") == [
        (date(2026, 3, 1), D(7), 1, 1),
        (date(2026, 2, 1), D(5), 1, 1),
    ]
    assert _rows(trades, now, "month", 2, "UTC") == [
        (date(2026, 3, 1), D(12), 2, 2),
        (date(2026, 2, 1), D(0), 0, 0),
    ]
    assert _rows(trades, now, "week", 2, "America/New_York") == [
        (date(2026, 3, 9), D(0), 0, 0),
        (date(2026, 3, 2), D(7), 1, 1),
    ]


@pytest.mark.parametrize(
    ("now", "unit", "count", "expected"),
    [
        pytest.param(
            datetime(2026, 1, 15, tzinfo=UTC),
            "month",
            3,
            [date(2026, 1, 1), date(2025, 12, 1), date(2025, 11, 1)],
            id="months-across-new-year",
        ),
        pytest.param(
            datetime(2026, 3, 1, 12, tzinfo=UTC),
            "week",
            2,
            [date(2026, 2, 23), date(2026, 2, 16)],
            id="a-sunday-is-in-the-week-of-monday",
        ),
        pytest.param(
            datetime(2024, 3, 1, 12, tzinfo=UTC),
            "day",
            2,
            [date(2024, 3, 1), date(2024, 2, 29)],
            id="leap-day",
        ),
    ],
)
def test_period_starts(now: datetime, unit: Unit, count: int, expected: list[date]) -> None:
    assert aggregate.period_starts(now, unit, count, UTC) == expected


def test_local_midnight_is_the_start_of_the_local_day() -> None:
    start = aggregate.local_midnight(date(2026, 3, 11), TOKYO)
    assert start.astimezone(UTC) == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    # the day DST starts in New York begins on standard time, the next one on summer time
    assert aggregate.local_midnight(date(2026, 3, 8), NEW_YORK).utcoffset() == timedelta(hours=-5)
    assert aggregate.local_midnight(date(2026, 3, 9), NEW_YORK).utcoffset() == timedelta(hours=-4)


# -- performance --------------------------------------------------------------------------------


def test_performance_per_pair_and_per_source_best_first() -> None:
    trades = [
        trade(1, "10", r="1", symbol="ETH/USDT", source="@beta"),
        trade(2, "-30", r="-1", symbol="BTC/USDT", source="@alpha"),
        trade(3, "50", r="2", symbol="BTC/USDT", source="@beta"),
        trade(4, "-5", symbol="SOL/USDT", source=None),
    ]
    pairs = aggregate.performance(trades, lambda t: t.symbol)
    assert [(p.key, p.trades, p.wins, p.pnl, p.avg_r) for p in pairs] == [
        ("BTC/USDT", 2, 1, D(20), D("0.5")),
        ("ETH/USDT", 1, 1, D(10), D(1)),
        ("SOL/USDT", 1, 0, D(-5), None),
    ]
    sources = aggregate.performance(trades, lambda t: t.source or "by hand")
    assert [(s.key, s.pnl) for s in sources] == [
        ("@beta", D(60)),
        ("by hand", D(-5)),
        ("@alpha", D(-30)),
    ]
