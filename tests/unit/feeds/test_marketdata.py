"""The readers on the real files in shared/marketdata: each format loads whole, matches the
README's table, and independent files agree where the README says they do."""

from __future__ import annotations

import functools
import statistics
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.exchange.candle_files import load_candles, load_directory
from services.exchange.candles import CandleSeries

from .conftest import MARKETDATA, marketdata_file


@functools.cache
def _load(relative: str, symbol: str | None = None) -> CandleSeries:
    return load_candles(marketdata_file(relative), symbol=symbol)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("relative", "symbol", "timeframe", "first", "last", "rows", "close_min", "close_max"),
    [
        (
            "rezaashrafii-signalbot/BTCUSDT_1m.csv",
            "BTC/USDT",
            "1m",
            "2025-06-06 21:41",
            "2025-06-16 21:40",
            14_400,
            "102765",
            "110530",
        ),
        (
            "cobra0506-crypto-backtester/DOGEUSDT_1m.csv",
            "DOGE/USDT",
            "1m",
            "2025-05-30 16:42",
            "2025-06-29 16:41",
            43_200,
            "0.14352",
            "0.20556",
        ),
        (
            "freqtrade/orderflow/candles.json",
            "BTC/USDT:USDT",
            "5m",
            "2023-01-02 16:45",
            "2023-02-09 21:15",
            10_999,
            "16612",
            "24213.5",
        ),
        (
            "harthor-marketlab/binance/BTC_USDT-1h.feather",
            "BTC/USDT",
            "1h",
            "2024-09-14 00:00",
            "2026-02-19 03:00",
            12_556,
            "57604",
            "126011",
        ),
        (
            "freqtrade/futures/XRP_USDT_USDT-1h-futures.feather",
            "XRP/USDT:USDT",
            "1h",
            "2021-11-17 01:00",
            "2021-11-21 04:00",
            100,
            "1.02428",
            "1.1381",
        ),
    ],
    ids=["C1", "C2", "json", "feather-spot", "feather-futures"],
)
def test_shared_file_loads_whole_and_matches_the_readme(
    relative: str,
    symbol: str,
    timeframe: str,
    first: str,
    last: str,
    rows: int,
    close_min: str,
    close_max: str,
) -> None:
    # candles.json names no pair; the README infers Binance BTC/USDT perp, so we pass it.
    series = _load(relative, "BTC/USDT:USDT" if relative.endswith("candles.json") else None)
    assert (series.symbol, series.timeframe, len(series)) == (symbol, timeframe, rows)
    assert series.start == _utc(first)
    assert series.candles[-1].open_time == _utc(last)
    closes = [c.close for c in series]
    # the README rounds to about six significant digits
    assert min(closes) == pytest.approx(Decimal(close_min), rel=Decimal("1e-5"))
    assert max(closes) == pytest.approx(Decimal(close_max), rel=Decimal("1e-5"))
    # README: no gaps, no duplicates
    assert series.end - series.start == series.interval * rows


def _ohlc(series: CandleSeries, start: datetime, end: datetime) -> dict[datetime, tuple]:
    return {c.open_time: (c.open, c.high, c.low, c.close) for c in series.between(start, end)}


@pytest.mark.parametrize("base", ["BTC", "ETH"])
def test_rezaashrafii_1m_resampled_equals_harthor_perp_5m(base: str) -> None:
    """README: RezaAshrafii 1m resampled to 5m matches Harthor's Binance perp 5m, 2,879 bars."""
    one_minute = _load(f"rezaashrafii-signalbot/{base}USDT_1m.csv")
    perp = _load(f"harthor-marketlab/binance/futures/{base}_USDT_USDT-5m-futures.feather")
    resampled = one_minute.resample("5m")
    mine = _ohlc(resampled, resampled.start, resampled.end)
    theirs = _ohlc(perp, resampled.start, resampled.end)
    assert len(mine) == 2_879
    assert mine == theirs


def test_harthor_5m_resampled_equals_its_1h_and_15m_files() -> None:
    five = _load("harthor-marketlab/binance/BTC_USDT-5m.feather")
    for timeframe in ("15m", "1h"):
        own = _load(f"harthor-marketlab/binance/BTC_USDT-{timeframe}.feather")
        start, end = max(five.start, own.start), min(five.end, own.end)
        resampled = five.resample(timeframe)
        mine = _ohlc(resampled, start, end)
        assert len(mine) > 9_000
        assert mine == _ohlc(own, start, end)


def test_bybit_doge_1m_tracks_binance_spot_5m() -> None:
    """README: cobra0506 DOGE 1m (Bybit perp) vs Harthor DOGE spot 5m, median 5.5 bps."""
    bybit = _load("cobra0506-crypto-backtester/DOGEUSDT_1m.csv").resample("5m")
    spot = _load("harthor-marketlab/binance/DOGE_USDT-5m.feather")
    spot_close = {c.open_time: c.close for c in spot.between(bybit.start, bybit.end)}
    bps = [
        abs(c.close / spot_close[c.open_time] - 1) * 10_000
        for c in bybit
        if c.open_time in spot_close
    ]
    assert len(bps) > 8_000
    assert statistics.median(bps) < 10


def test_load_directory_reads_freqtrades_futures_testdata() -> None:
    folder = MARKETDATA / "freqtrade"
    if not folder.is_dir():
        pytest.skip(f"shared market data not found: {folder}")
    series = load_directory(folder)  # candles.json has no pair in its name: skipped
    assert [(s.symbol, s.timeframe, len(s)) for s in series] == [
        ("XRP/USDT:USDT", "5m", 1_999),
        ("XRP/USDT:USDT", "1h", 100),
    ]
