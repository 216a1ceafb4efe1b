"""The signal chart: real and synthetic candles, every kind of entry and event, both themes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import pytest

from services.charts import Theme, signal_chart
from services.charts.signal import MAX_BARS, _merged
from services.tracking.model import CandleArrays, TrackEvent
from tests.unit.charts.conftest import assert_phone_png, corner_brightness, feather_candles

D = Decimal
T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def synthetic(
    rows: Sequence[tuple[float, float, float, float]], step_s: int = 300
) -> CandleArrays:
    first = int(T0.timestamp())
    columns = np.array(rows, dtype=np.float64).reshape(len(rows), 4)
    return CandleArrays(
        symbol="TEST/USDT",
        timeframe_s=step_s,
        times=np.arange(first, first + step_s * len(rows), step_s, dtype=np.int64),
        open=columns[:, 0].copy(),
        high=columns[:, 1].copy(),
        low=columns[:, 2].copy(),
        close=columns[:, 3].copy(),
    )


def at(index: int) -> datetime:
    return T0 + timedelta(minutes=5 * index)


ROWS = [
    (100.0, 101.0, 99.0, 100.5),
    (100.5, 100.5, 98.0, 98.5),  # fills the 98.6-99.0 zone
    (98.5, 102.5, 98.4, 102.0),  # TP1 102, TP2 102.5
    (102.0, 102.0, 102.0, 102.0),  # a flat doji
    (102.0, 102.2, 96.0, 96.5),  # stop 96.5
]
EVENTS = [
    TrackEvent("filled", at(1), D("99.0")),
    TrackEvent("tp", at(2), D("102"), target=1),
    TrackEvent("tp", at(2), D("102.5"), target=2),
    TrackEvent("sl_moved", at(3), D("99.0")),
    TrackEvent("sl", at(4), D("96.5")),
]


def draw(
    candles: CandleArrays,
    levels: Mapping[str, object] = MappingProxyType({}),
    *,
    theme: Theme = Theme.DARK,
) -> bytes:
    arguments: dict[str, object] = {
        "entry_low": D("98.6"),
        "entry_high": D("99.0"),
        "targets": [D("102"), D("102.5"), D("110")],
        "stop": D("96.5"),
        "events": EVENTS,
        **levels,
    }
    # the cases are a table of keyword arguments of several types
    return signal_chart(candles, title="#7", theme=theme, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("theme", list(Theme), ids=str)
def test_synthetic_signal_chart(theme: Theme) -> None:
    png = draw(synthetic(ROWS), theme=theme)
    assert_phone_png(png)
    assert (corner_brightness(png) < 0.2) is (theme is Theme.DARK)


LEVEL_CASES = {
    "single entry price": {"entry_low": D("99"), "entry_high": D("99")},
    "zone given high first": {"entry_low": D("99.0"), "entry_high": D("98.6")},
    "market entry, no stop": {"entry_low": None, "entry_high": None, "stop": None},
    "no targets, no events": {"targets": [], "events": []},
    "events without prices": {
        "events": [TrackEvent("not_filled", at(4)), TrackEvent("expired", at(3))]
    },
    "event outside the candles": {"events": [TrackEvent("closed", at(40), D("101"))]},
}


@pytest.mark.parametrize("levels", LEVEL_CASES.values(), ids=LEVEL_CASES.keys())
def test_signal_chart_levels_and_events(levels: dict[str, object]) -> None:
    assert_phone_png(draw(synthetic(ROWS), levels))


def test_one_flat_candle() -> None:
    """A single candle whose prices are all equal (zero range) still draws."""
    assert_phone_png(draw(synthetic([(5.0, 5.0, 5.0, 5.0)]), {"events": []}))


def test_tiny_prices() -> None:
    rows = [(0.00001234, 0.00001240, 0.00001200, 0.00001210)] * 30
    levels = {
        "entry_low": D("0.0000121"),
        "entry_high": D("0.0000122"),
        "targets": [D("0.0000125")],
        "stop": D("0.0000119"),
        "events": [TrackEvent("filled", at(2), D("0.0000122"))],
    }
    png = draw(synthetic(rows), levels)
    assert_phone_png(png)


@pytest.mark.parametrize("theme", list(Theme), ids=str)
def test_no_candles_is_a_friendly_figure(theme: Theme) -> None:
    assert_phone_png(draw(synthetic([]), theme=theme))


def test_long_slices_are_merged_into_coarser_candles() -> None:
    """1000 five-minute candles are drawn as 143 35-minute ones (7 merged, the last group
    shorter): first open, highest high, lowest low, last close of each group."""
    count = 1000
    prices = np.arange(count, dtype=np.float64) + 100
    rows = [(p, p + 0.5, p - 0.5, p + 0.25) for p in prices]
    candles = synthetic(rows)
    _x, opens, highs, lows, closes, seconds = _merged(candles)
    k = 7  # ceil(1000 / MAX_BARS)
    assert MAX_BARS == 160
    assert seconds == 300 * k
    assert len(opens) == 143
    assert opens[1] == prices[k]
    assert highs[1] == prices[2 * k - 1] + 0.5
    assert lows[1] == prices[k] - 0.5
    assert closes[1] == prices[2 * k - 1] + 0.25
    assert closes[-1] == prices[-1] + 0.25
    assert_phone_png(draw(candles, {"events": []}))


def test_short_slices_are_drawn_as_they_are() -> None:
    candles = synthetic(ROWS)
    x, opens, highs, lows, closes, seconds = _merged(candles)
    assert seconds == 300
    assert list(opens) == [r[0] for r in ROWS]
    assert list(closes) == [r[3] for r in ROWS]
    # x is the middle of each candle, one candle apart, in matplotlib days
    assert np.allclose(np.diff(x), 300 / 86_400)


def test_real_btc_perp_candles() -> None:
    """A day of BTC perpetual 5-minute candles from shared/marketdata with a long's levels."""
    candles = feather_candles("futures/BTC_USDT_USDT-5m-futures.feather", 2_000, 288)
    assert candles.symbol == "BTC/USDT:USDT"
    low, high = float(candles.low.min()), float(candles.high.max())
    entry = D(repr(round((low + high) / 2, 1)))
    step = D(repr(round((high - low) / 6, 1)))
    fill_at = candles.time_of(40)
    events = [
        TrackEvent("filled", fill_at, entry),
        TrackEvent("tp", candles.time_of(120), entry + step, target=1),
        TrackEvent("expired", candles.time_of(287)),
    ]
    for theme in Theme:
        png = signal_chart(
            candles,
            title="#4812 BTC long · Crypto Whales",
            entry_low=entry - step / 4,
            entry_high=entry,
            targets=[entry + step, entry + 2 * step],
            stop=entry - 2 * step,
            events=events,
            theme=theme,
        )
        assert_phone_png(png)


def test_real_eth_spot_hourly_candles() -> None:
    """Two weeks of ETH spot hourly candles (more than MAX_BARS, so merged) for a short."""
    candles = feather_candles("ETH_USDT-1h.feather", 500, 24 * 14)
    assert candles.timeframe_s == 3600
    top = D(repr(float(candles.high.max())))
    png = signal_chart(
        candles,
        title="#90 ETH short",
        entry_low=top * D("0.97"),
        entry_high=top * D("0.98"),
        targets=[top * D("0.9"), top * D("0.85")],
        stop=top * D("1.01"),
        events=[TrackEvent("filled", candles.time_of(30), top * D("0.97"))],
        theme=Theme.LIGHT,
    )
    assert_phone_png(png)
