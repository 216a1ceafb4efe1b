"""Which candles the tracker reads: finest timeframe, USDT by default, perps for futures signals
when there are some, spot otherwise; feather read straight into arrays."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.tracking.candle_store import DirectoryCandleStore, pair_symbols

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "marketdata"
BINANCE = SHARED / "harthor-marketlab" / "binance"

HEADER = "timestamp,open,high,low,close,volume\n"


def _write(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows))


@pytest.fixture
def datadir(tmp_path: Path) -> Path:
    _write(tmp_path / "SOL_USDT-1h.csv", ["2025-01-01 00:00:00+00:00,1,2,0.5,1.5,10"])
    _write(
        tmp_path / "SOL_USDT-5m.csv",
        [
            "2025-01-01 00:05:00+00:00,1.1,1.2,1.0,1.15,3",
            "2025-01-01 00:00:00+00:00,1,1.1,0.9,1.1,2",
        ],
    )
    _write(
        tmp_path / "futures" / "BTC_USDT_USDT-1h-futures.csv",
        ["2025-01-01 00:00:00+00:00,90000,91000,89000,90500,1"],
    )
    _write(tmp_path / "BTC_USDT-1h.csv", ["2025-01-01 00:00:00+00:00,90010,91010,89010,90510,1"])
    _write(tmp_path / "futures" / "BTC_USDT_USDT-1h-funding_rate.csv", ["2025-01-01,0,0,0,0,0"])
    return tmp_path


def test_finest_timeframe_sorted(datadir: Path) -> None:
    arrays = DirectoryCandleStore(datadir).arrays("sol", None, futures=False)
    assert arrays is not None
    assert (arrays.symbol, arrays.timeframe_s, len(arrays)) == ("SOL/USDT", 300, 2)
    assert list(arrays.open) == [1.0, 1.1]  # sorted by time


def test_futures_signals_read_the_perp_then_spot(datadir: Path) -> None:
    store = DirectoryCandleStore(datadir)
    perp = store.arrays("BTC", "USDT", futures=True)
    spot = store.arrays("BTC", "USDT", futures=False)
    assert perp is not None and perp.symbol == "BTC/USDT:USDT" and perp.open[0] == 90000
    assert spot is not None and spot.symbol == "BTC/USDT" and spot.open[0] == 90010
    sol = store.arrays("SOL", None, futures=True)  # no SOL perp here: spot
    assert sol is not None and sol.symbol == "SOL/USDT"
    assert store.arrays("XRP", None, futures=False) is None
    assert "BTC/USDT:USDT" in store.symbols()  # funding rates are not prices
    assert all(":" not in s or s.endswith(":USDT") for s in store.symbols())


def test_pair_symbols() -> None:
    assert pair_symbols("eth", None, futures=True) == ["ETH/USDT:USDT", "ETH/USDT"]
    assert pair_symbols("ETH", "BTC", futures=False) == ["ETH/BTC"]


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="No candle directory"):
        DirectoryCandleStore(tmp_path / "nope")


def test_real_feather_files() -> None:
    if not BINANCE.is_dir():
        pytest.skip(f"shared market data not found: {BINANCE}")
    store = DirectoryCandleStore(BINANCE)
    perp = store.arrays("BTC", None, futures=True)
    assert perp is not None and perp.symbol == "BTC/USDT:USDT" and perp.timeframe_s == 300
    assert len(perp) == 119_724  # the README's row count
    assert perp.time_of(0).isoformat() == "2024-12-31T00:00:00+00:00"
    assert (perp.high >= perp.low).all()
    assert store.arrays("BTC", None, futures=True) is perp  # read once
