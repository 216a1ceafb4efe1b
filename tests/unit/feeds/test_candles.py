"""Candle readers on small hand-written files: every layout, gzip, names, lookups, errors."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.exchange.candle_files import (
    CandleFileError,
    FileNameInfo,
    load_candles,
    load_directory,
    parse_file_name,
)
from services.exchange.candles import Candle, CandleSeries, parse_timeframe

T0 = datetime(2025, 6, 6, 21, 40, tzinfo=UTC)
MS0 = int(T0.timestamp() * 1000)

C1_TEXT = (
    "open_time,open,high,low,close,volume,taker_buy_base_asset_volume\n"
    "2025-06-06 21:40:00+00:00,104367.5,104397.6,104332.4,104361.5,63.017,20.1\n"
    "2025-06-06 21:41:00+00:00,104361.5,104361.6,104361.4,104361.5,18.774,12.006\n"
)
C2_TEXT = (
    "timestamp,open,high,low,close,volume\n"
    "2025-06-06 21:40:00+00:00,104367.5,104397.6,104332.4,104361.5,63.017\n"
    "2025-06-06 21:41:00+00:00,104361.5,104361.6,104361.4,104361.5,18.774\n"
)
ROWS = [
    [MS0, 104367.5, 104397.6, 104332.4, 104361.5, 63.017],
    [MS0 + 60_000, 104361.5, 104361.6, 104361.4, 104361.5, 18.774],
]
FIELDS = ("date", "open", "high", "low", "close", "volume")
RECORDS = [dict(zip(FIELDS, r, strict=True)) for r in ROWS]
COLUMNS = {k: {str(i): rec[k] for i, rec in enumerate(RECORDS)} for k in RECORDS[0]}
EXPECTED = (
    Candle(
        T0,
        Decimal("104367.5"),
        Decimal("104397.6"),
        Decimal("104332.4"),
        Decimal("104361.5"),
        Decimal("63.017"),
    ),
    Candle(
        T0 + timedelta(minutes=1),
        Decimal("104361.5"),
        Decimal("104361.6"),
        Decimal("104361.4"),
        Decimal("104361.5"),
        Decimal("18.774"),
    ),
)


def _write(path: Path, content: str | bytes, *, gz: bool = False) -> Path:
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize(
    ("name", "content", "gz"),
    [
        ("BTCUSDT_1m.csv", C1_TEXT, False),
        ("BTCUSDT_1m.csv", C2_TEXT, False),
        ("BTC_USDT-1m.csv.gz", C1_TEXT, True),
        ("BTC_USDT-1m.csv.gz", C2_TEXT, True),
        ("BTC_USDT-1m.json", json.dumps(ROWS), False),
        ("BTC_USDT-1m.json", json.dumps(RECORDS), False),
        ("BTC_USDT-1m.json", json.dumps(COLUMNS), False),
        ("BTC_USDT-1m.json.gz", json.dumps(ROWS), True),
        ("BTC_USDT-1m.json.gz", json.dumps(RECORDS), True),
        ("BTCUSDT-1m-2025-06.csv", "\n".join(",".join(map(str, r)) for r in ROWS), False),
    ],
    ids=[
        "C1",
        "C2",
        "C1-gz",
        "C2-gz",
        "json-arrays",
        "json-records",
        "json-columns",
        "json-arrays-gz",
        "json-records-gz",
        "binance-headerless",
    ],
)
def test_every_layout_reads_the_same_candles(
    tmp_path: Path, name: str, content: str, gz: bool
) -> None:
    series = load_candles(_write(tmp_path / name, content, gz=gz))
    assert series.symbol == "BTC/USDT"
    assert series.timeframe == "1m"
    assert series.candles == EXPECTED
    assert series.origin == name


def test_json_prices_do_not_go_through_float(tmp_path: Path) -> None:
    """JSON numbers become Decimal from their text, so 0.1 stays exactly 0.1."""
    path = _write(tmp_path / "X_USDT-1m.json", "[[0, 0.1, 0.3, 0.1, 0.3, 1e-7]]")
    candle = load_candles(path).candles[0]
    assert candle.open == Decimal("0.1")
    assert candle.volume == Decimal("1e-7")
    assert candle.open_time == datetime(1970, 1, 1, tzinfo=UTC)


def test_feather_round_trip(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    feather = pytest.importorskip("pyarrow.feather")
    table = pa.table(
        {
            "date": pa.array([MS0 * 10**6, (MS0 + 60_000) * 10**6], pa.timestamp("ns", "UTC")),
            **{k: [r[i] for r in ROWS] for i, k in enumerate(RECORDS[0]) if k != "date"},
        }
    )
    path = tmp_path / "BTC_USDT_USDT-1m-futures.feather"
    feather.write_feather(table, str(path))
    series = load_candles(path)
    assert series.symbol == "BTC/USDT:USDT"
    assert series.candles == EXPECTED


def test_feather_without_pyarrow_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "BTC_USDT-1h.feather", b"ARROW1\x00\x00rest-of-file")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    monkeypatch.setitem(sys.modules, "pyarrow.feather", None)
    with pytest.raises(CandleFileError, match="needs pyarrow"):
        load_candles(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BTC_USDT-1h.feather", FileNameInfo("BTC/USDT", "1h", "spot")),
        ("BTC_USDT_USDT-5m-futures.feather", FileNameInfo("BTC/USDT:USDT", "5m", "futures")),
        ("XRP_USDT_USDT-1h-mark.feather", FileNameInfo("XRP/USDT:USDT", "1h", "mark")),
        ("ETH_BTC-5m.json.gz", FileNameInfo("ETH/BTC", "5m", "spot")),
        ("BTC_USDT-1h.csv.gz", FileNameInfo("BTC/USDT", "1h", "spot")),
        ("BTCUSDT_1m.csv", FileNameInfo("BTC/USDT", "1m", "spot")),
        ("DOGEUSDT_1m.csv", FileNameInfo("DOGE/USDT", "1m", "spot")),
        ("ETHFDUSD_15m.csv", FileNameInfo("ETH/FDUSD", "15m", "spot")),
        ("ETHUSDT-1m-2025-07.csv", FileNameInfo("ETH/USDT", "1m", "spot")),
        ("candles.json", None),
        ("BTC_USDT-trades.feather", None),
        ("README.md", None),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_file_names_give_symbol_and_timeframe(name: str, expected: FileNameInfo | None) -> None:
    assert parse_file_name(name) == expected


def test_explicit_symbol_and_timeframe_win_over_the_name(tmp_path: Path) -> None:
    series = load_candles(
        _write(tmp_path / "BTCUSDT_1m.csv", C1_TEXT), symbol="BTC/USDT:USDT", timeframe="1m"
    )
    assert series.symbol == "BTC/USDT:USDT"


def test_nameless_file_needs_a_symbol_but_infers_the_timeframe(tmp_path: Path) -> None:
    path = _write(tmp_path / "candles.json", json.dumps(RECORDS))
    with pytest.raises(CandleFileError, match="pass symbol="):
        load_candles(path)
    assert load_candles(path, symbol="BTC/USDT").timeframe == "1m"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("when,open,high,low,close,volume\nx,1,1,1,1,1\n", "time column"),
        ("timestamp,open,high,low,close\n2025-01-01,1,1,1,1\n", "volume"),
        ("timestamp,open,high,low,close,volume\n2025-01-01,1,abc,1,1,1\n", "not a number"),
        ("timestamp,open,high,low,close,volume\nyesterday,1,1,1,1,1\n", "not a time"),
        ("timestamp,open,high,low,close,volume\n2025-01-01,1,2,1.5,1,1\n", "Inconsistent"),
        ("[[0, 1, 1]]", "expected"),
        ("{not json", "not valid JSON"),
    ],
    ids=["no-time", "no-volume", "bad-number", "bad-time", "low-above-close", "short-row", "bad"],
)
def test_bad_files_raise_candle_file_error(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(CandleFileError, match=message):
        load_candles(_write(tmp_path / "BTCUSDT_1m.csv", content))


def test_duplicate_candles_are_refused(tmp_path: Path) -> None:
    line = C2_TEXT.splitlines()[1]
    with pytest.raises(CandleFileError, match="two candles"):
        load_candles(_write(tmp_path / "BTCUSDT_1m.csv", C2_TEXT + line + "\n"))


def _series(count: int, *, timeframe: str = "1m", gap_at: int | None = None) -> CandleSeries:
    step = parse_timeframe(timeframe)
    candles = []
    for i in range(count):
        if i == gap_at:
            continue
        price = Decimal(100 + i)
        candles.append(Candle(T0 + i * step, price, price + 2, price - 1, price + 1, Decimal(1)))
    return CandleSeries("BTC/USDT", timeframe, tuple(reversed(candles)))


def test_series_sorts_and_looks_up_by_time() -> None:
    series = _series(10, gap_at=5)
    assert [c.open_time for c in series] == sorted(c.open_time for c in series)
    assert series.at(T0 - timedelta(seconds=1)) is None
    assert series.at(T0) == series.candles[0]
    assert series.at(T0 + timedelta(seconds=59, microseconds=999_999)) == series.candles[0]
    assert series.at(T0 + timedelta(minutes=1)) == series.candles[1]
    assert series.at(T0 + timedelta(minutes=5, seconds=30)) is None  # the gap
    assert series.at(series.end - timedelta(microseconds=1)) == series.candles[-1]
    assert series.at(series.end) is None
    window = list(series.between(T0 + timedelta(minutes=2), T0 + timedelta(minutes=7)))
    assert [c.open for c in window] == [Decimal(n) for n in (102, 103, 104, 106)]


def test_resample_aggregates_whole_bins_only() -> None:
    series = _series(12)  # 21:40 .. 21:51: bins 21:40 (complete), 21:45 (complete), 21:50 (2)
    five = series.resample("5m")
    assert [c.open_time.minute for c in five] == [40, 45]
    first = five.candles[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        Decimal(100),
        Decimal(106),
        Decimal(99),
        Decimal(105),
        Decimal(5),
    )
    assert len(series.resample("5m", complete_only=False)) == 3
    with pytest.raises(ValueError, match="Cannot resample"):
        five.resample("7m")


def test_load_directory_reads_a_freqtrade_datadir(tmp_path: Path) -> None:
    spot = tmp_path / "binance"
    futures = spot / "futures"
    futures.mkdir(parents=True)
    _write(spot / "BTC_USDT-1m.json", json.dumps(ROWS))
    _write(spot / "ETH_USDT-1m.csv.gz", C2_TEXT, gz=True)
    _write(futures / "BTC_USDT_USDT-1m-futures.json", json.dumps(ROWS))
    _write(futures / "BTC_USDT_USDT-1m-mark.json", json.dumps(ROWS))  # not a traded price
    _write(spot / "README.md", "not candles")
    _write(spot / "BTC_USDT-trades.json", "[]")
    series = load_directory(tmp_path, exchange="Binance")
    assert [(s.symbol, s.timeframe) for s in series] == [
        ("BTC/USDT", "1m"),
        ("BTC/USDT:USDT", "1m"),
        ("ETH/USDT", "1m"),
    ]
    assert all(s.exchange == "Binance" and s.candles == EXPECTED for s in series)
