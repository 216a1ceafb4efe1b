"""The price-outcome and followed-outcome rules of issue 10, one table row per rule.

Every figure below is worked out by hand from the candles in the row: (open, high, low, close),
5 minutes apart from T0; the signal is posted at T0 unless the row says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.tracking.model import CandleArrays, ChannelMove, MoveKind, Result, TrackedSignal
from services.tracking.outcome import followed_outcome, price_outcome, tracked_signal
from tests.unit.tracking.candles import T0, at, series


def long(
    entry: tuple[str, str] | None, targets: tuple[str, ...], stop: str | None, *, posted=T0
) -> TrackedSignal:
    return TrackedSignal(
        is_long=True,
        posted_at=posted,
        entry_low=D(entry[0]) if entry else None,
        entry_high=D(entry[1]) if entry else None,
        targets=tuple(D(t) for t in targets),
        stop=D(stop) if stop else None,
    )


def short(
    entry: tuple[str, str] | None, targets: tuple[str, ...], stop: str | None
) -> TrackedSignal:
    return TrackedSignal(
        is_long=False,
        posted_at=T0,
        entry_low=D(entry[0]) if entry else None,
        entry_high=D(entry[1]) if entry else None,
        targets=tuple(D(t) for t in targets),
        stop=D(stop) if stop else None,
    )


@dataclass(frozen=True)
class Row:
    name: str
    signal: TrackedSignal
    rows: list[tuple[float, float, float, float]]
    result: Result
    fill: str | None
    filled_index: int | None
    hit: int
    r: str | None
    closed_index: int | None


ROWS = [
    Row(
        "market long fills at the first candle's open, then all targets",
        long(None, ("105", "110"), "95"),
        [(100, 101, 99, 100), (100, 106, 100, 105), (105, 111, 104, 110)],
        Result.TP_ALL,
        "100",
        0,
        2,
        "1.5",
        2,  # half at 105 (+5), half at 110 (+10), risk 5
    ),
    Row(
        "zone long: the first candle whose low reaches the zone top fills at min(open, high)",
        long(("90", "95"), ("100",), "85"),
        [(99, 99, 96, 97), (97, 97, 94, 96), (96, 101, 95, 100)],
        Result.TP_ALL,
        "95",
        1,
        1,
        "0.5",
        2,
    ),
    Row(
        "zone long: a candle opening inside the zone fills at its open",
        long(("90", "95"), ("100",), "85"),
        [(93, 94, 92, 93), (93, 101, 93, 100)],
        Result.TP_ALL,
        "93",
        0,
        1,
        "0.875",
        1,
    ),
    Row(
        "single price short fills at max(open, low), stop hit",
        short(("100", "100"), ("90",), "105"),
        [(97, 99, 96, 98), (98, 101, 97, 100), (100, 106, 99, 105)],
        Result.SL,
        "100",
        1,
        0,
        "-1",
        2,
    ),
    Row(
        "stop and target in the same candle: the stop counts first",
        long(None, ("105",), "95"),
        [(100, 106, 94, 100)],
        Result.SL,
        "100",
        0,
        0,
        "-1",
        0,
    ),
    Row(
        "several targets in one candle all count",
        long(None, ("102", "104", "106"), "90"),
        [(100, 101, 99, 100), (100, 107, 100, 106)],
        Result.TP_ALL,
        "100",
        0,
        3,
        "0.4",
        1,
    ),
    Row(
        "TP1 then the stop: one third at TP1, two thirds at the stop",
        long(None, ("110", "120", "130"), "95"),
        [(100, 111, 99, 110), (110, 112, 94, 96)],
        Result.TP_PARTIAL_THEN_SL,
        "100",
        0,
        1,
        "0",
        1,  # (10/3 - 10/3) / 5
    ),
    Row(
        "short: targets below, in order",
        short(None, ("95", "90"), "110"),
        [(100, 101, 94, 95), (95, 96, 89, 90)],
        Result.TP_ALL,
        "100",
        0,
        2,
        "0.75",
        1,
    ),
    Row(
        "the fill candle can stop out",
        long(("98", "99"), ("110",), "97"),
        [(100, 100, 96, 97)],
        Result.SL,
        "99",
        0,
        0,
        "-1",
        0,
    ),
    Row(
        "a fill past the stop (the candle opened through it) is stopped at the fill, -1 R",
        long(("98", "99"), ("110",), "97"),
        [(100, 100, 99.5, 100), (96, 111, 95, 110)],
        Result.SL,
        "96",
        1,
        0,
        "-1",
        1,
    ),
    Row(
        "no stop: R is None",
        long(None, ("105",), None),
        [(100, 106, 99, 105)],
        Result.TP_ALL,
        "100",
        0,
        1,
        None,
        0,
    ),
    Row(
        "a candle before the post does not count",
        long(None, ("105",), "95", posted=at(1)),
        [(80, 200, 10, 90), (100, 101, 99, 100), (100, 106, 100, 105)],
        Result.TP_ALL,
        "100",
        1,
        1,
        "1",
        2,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_price_outcome_rules(row: Row) -> None:
    outcome = price_outcome(row.signal, series(row.rows))
    assert outcome.result is row.result
    assert outcome.fill_price == (D(row.fill) if row.fill else None)
    assert outcome.filled_at == (at(row.filled_index) if row.filled_index is not None else None)
    assert outcome.targets_hit == row.hit
    assert outcome.r == (D(row.r) if row.r is not None else None)
    assert outcome.closed_at == (at(row.closed_index) if row.closed_index is not None else None)


def test_not_filled_after_the_window_and_open_before_it_ends() -> None:
    signal = long(("80", "85"), ("100",), "75")
    rows = [(100.0, 101.0, 99.0, 100.0)] * 30  # 2.5 hours, never near the zone
    ended = price_outcome(signal, series(rows), fill_window=timedelta(hours=1))
    assert ended.result is Result.NOT_FILLED
    assert ended.closed_at == T0 + timedelta(hours=1)
    assert [e.kind for e in ended.events] == ["not_filled"]
    waiting = price_outcome(signal, series(rows), fill_window=timedelta(hours=3))
    assert waiting.result is Result.OPEN
    assert waiting.checked_to == at(30)


def test_expired_closes_the_rest_at_the_last_close_of_its_life() -> None:
    signal = long(None, ("150",), "50")
    rows = [(100.0, 101.0, 99.0, 100.0)] * 11 + [(100.0, 101.0, 99.0, 110.0)] + [(110.0,) * 4]
    outcome = price_outcome(signal, series(rows), max_life=timedelta(hours=1))
    assert outcome.result is Result.EXPIRED
    assert outcome.closed_at == T0 + timedelta(hours=1)
    assert outcome.r == D("0.2")  # closed at 110 (candle 11's close), risk 50
    still_open = price_outcome(signal, series(rows[:5]), max_life=timedelta(hours=1))
    assert still_open.result is Result.OPEN
    assert still_open.r is None
    assert still_open.fill_price == D(100)


@pytest.mark.parametrize(
    ("candles", "posted_hours"),
    [
        (None, 0),
        (series([]), 0),
        (series([(100.0, 101.0, 99.0, 100.0)]), 1),  # the data ends before the post
        (series([(100.0, 101.0, 99.0, 100.0)], start=T0 + timedelta(hours=80)), 0),
    ],
    ids=["no series", "empty series", "ends before the post", "starts after the window"],
)
def test_no_data(candles: CandleArrays | None, posted_hours: int) -> None:
    signal = long(None, ("105",), "95", posted=T0 + timedelta(hours=posted_hours))
    assert price_outcome(signal, candles).result is Result.NO_DATA


def test_live_waits_for_the_first_closed_candle() -> None:
    # The only candle opened at T0 and is still forming at T0 + 2 min: not "no data".
    outcome = price_outcome(
        long(None, ("105",), "95"),
        series([(100.0, 106.0, 99.0, 105.0)]),
        now=T0 + timedelta(minutes=2),
    )
    assert outcome.result is Result.OPEN
    assert outcome.filled_at is None


def test_events_in_order_with_stable_keys() -> None:
    outcome = price_outcome(long(None, ("110", "120", "130"), "95"), series(ROWS[6].rows))
    assert [(e.kind, e.target, e.price) for e in outcome.events] == [
        ("filled", None, D(100)),
        ("tp", 1, D(110)),
        ("sl", None, D(95)),
    ]
    again = price_outcome(long(None, ("110", "120", "130"), "95"), series(ROWS[6].rows))
    assert [e.key() for e in again.events] == [e.key() for e in outcome.events]
    assert len({e.key() for e in outcome.events}) == 3


# --- the followed outcome ---------------------------------------------------------------------


def test_move_sl_to_entry_after_tp1_turns_the_stop_into_breakeven() -> None:
    signal = long(None, ("110", "120", "130"), "95")
    rows = [(100, 111, 99, 110), (110, 112, 105, 106), (106, 107, 90, 92)]
    moves = [ChannelMove(at(0) + timedelta(minutes=7), MoveKind.MOVE_SL)]  # before candle 2
    price = price_outcome(signal, series(rows))
    followed = followed_outcome(signal, series(rows), moves)
    assert price.result is Result.TP_PARTIAL_THEN_SL
    assert price.r == D(0)  # 10/3 at TP1, -10/3 at 95
    assert followed.result is Result.TP_PARTIAL_THEN_SL
    assert followed.r == D("0.6667")  # 10/3 per unit at TP1, the rest at the fill; R to 4 places
    assert [e.kind for e in followed.events] == ["filled", "tp", "sl_moved", "sl"]


def test_close_from_the_channel_closes_at_the_next_candles_open() -> None:
    signal = long(None, ("150",), "90")
    rows = [(100, 101, 99, 100), (104, 106, 103, 105), (105, 106, 104, 105)]
    moves = [ChannelMove(at(1), MoveKind.CLOSE)]
    outcome = followed_outcome(signal, series(rows), moves)
    assert outcome.result is Result.CLOSED
    assert outcome.closed_at == at(1)
    assert outcome.r == D("0.4")  # closed at 104, risk 10


def test_partial_close_then_target() -> None:
    signal = long(None, ("120",), "90")
    rows = [(100, 101, 99, 100), (110, 111, 109, 110), (110, 121, 110, 120)]
    moves = [ChannelMove(at(1), MoveKind.PARTIAL_CLOSE, fraction=D("0.5"))]
    outcome = followed_outcome(signal, series(rows), moves)
    assert outcome.result is Result.TP_ALL
    assert outcome.r == D("1.5")  # half at 110 (+5), half at 120 (+10), risk 10


def test_cancel_before_the_fill_is_no_trade_and_after_it_a_close() -> None:
    signal = long(("90", "91"), ("120",), "80")
    rows = [(100, 101, 99, 100), (100, 101, 95, 96), (96, 97, 90, 91), (91, 93, 90, 92)]
    before = followed_outcome(signal, series(rows), [ChannelMove(at(1), MoveKind.CANCEL)])
    assert before.result is Result.CANCELLED
    assert before.r is None and before.fill_price is None
    after = followed_outcome(signal, series(rows), [ChannelMove(at(3), MoveKind.CANCEL)])
    assert after.result is Result.CLOSED
    assert after.fill_price == D(91)
    assert after.r == D(0)  # closed at candle 3's open, 91


def test_a_move_after_the_last_candle_waits() -> None:
    signal = long(None, ("150",), "90")
    rows = [(100.0, 101.0, 99.0, 100.0)] * 3
    outcome = followed_outcome(signal, series(rows), [ChannelMove(at(5), MoveKind.CLOSE)])
    assert outcome.result is Result.OPEN


# --- building a tracked signal -----------------------------------------------------------------


def test_tracked_signal_from_parsed_fields() -> None:
    built = tracked_signal(
        side="long",
        posted_at=T0,
        entry_low=D(95),
        entry_high=D(90),
        entry_is_market=False,
        targets=[D(100)],
        stop=D(85),
    )
    assert built is not None and (built.entry_low, built.entry_high) == (D(90), D(95))
    single = tracked_signal(
        side="short",
        posted_at=T0,
        entry_low=D(90),
        entry_high=None,
        entry_is_market=False,
        targets=[],
        stop=None,
    )
    assert single is not None and (single.entry_low, single.entry_high) == (D(90), D(90))
    assert (
        tracked_signal(
            side=None,
            posted_at=T0,
            entry_low=D(1),
            entry_high=D(1),
            entry_is_market=False,
            targets=[],
            stop=None,
        )
        is None
    )
    assert (
        tracked_signal(
            side="long",
            posted_at=T0,
            entry_low=None,
            entry_high=None,
            entry_is_market=False,
            targets=[],
            stop=None,
        )
        is None
    )


# --- a property: a short is a long in the mirror ---------------------------------------------

prices = st.integers(min_value=50, max_value=150)


@st.composite
def candle_rows(draw: st.DrawFn) -> list[tuple[float, float, float, float]]:
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=40))):
        a, b, c, d = (draw(prices) for _ in range(4))
        rows.append((float(a), float(max(a, b, c, d)), float(min(a, b, c, d)), float(d)))
    return rows


@given(
    rows=candle_rows(),
    entry=prices,
    stop_gap=st.integers(1, 30),
    gaps=st.lists(st.integers(1, 20), min_size=1, max_size=4),
)
def test_a_short_is_the_mirrored_long(
    rows: list[tuple[float, float, float, float]], entry: int, stop_gap: int, gaps: list[int]
) -> None:
    mirror = 300

    def flip(row: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        o, h, low, c = row
        return (mirror - o, mirror - low, mirror - h, mirror - c)

    targets, level = [], entry
    for gap in gaps:
        level += gap
        targets.append(D(level))
    as_long = long((str(entry), str(entry)), tuple(str(t) for t in targets), str(entry - stop_gap))
    as_short = short(
        (str(mirror - entry), str(mirror - entry)),
        tuple(str(mirror - t) for t in targets),
        str(mirror - entry + stop_gap),
    )
    a = price_outcome(as_long, series(rows))
    b = price_outcome(as_short, series([flip(r) for r in rows]))
    assert (a.result, a.targets_hit, a.filled_at, a.r) == (
        b.result,
        b.targets_hit,
        b.filled_at,
        b.r,
    )
    if a.fill_price is not None:
        assert b.fill_price == mirror - a.fill_price


def test_a_stop_moved_to_entry_before_the_fill_is_not_a_gap_through_the_stop() -> None:
    # The channel moves the stop to entry before the zone fills: the fill candle (low 89.5)
    # reaches the new stop at the fill price, stop first: closed flat, 0 R, not -1 R.
    signal = long(("90", "91"), ("120",), "80")
    rows = [(100, 101, 99, 100), (91, 95, 89.5, 94)]
    moves = [ChannelMove(at(0), MoveKind.MOVE_SL)]
    outcome = followed_outcome(signal, series(rows), moves)
    assert outcome.result is Result.SL
    assert outcome.fill_price == D(91)
    assert outcome.r == D(0)
    assert (
        str(price_outcome(long(("98", "99"), ("110",), "97"), series([(96, 111, 95, 110)])).r)
        == "-1.0000"
    )
