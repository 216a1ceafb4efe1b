"""The tracker's candles: the ``CandleStore`` port and its file and series adapters.

A store answers one question: the candles of a pair, as ``CandleArrays``, at the finest
timeframe it has. The pair's rules (issue 10): a pair written without its quote is taken
against USDT; a futures signal reads the perpetual's candles when there are some, spot
otherwise.

- ``DirectoryCandleStore``: freqtrade's data directory (``<dir>/BTC_USDT-5m.feather`` spot,
  ``<dir>/futures/BTC_USDT_USDT-5m-futures.feather`` perps; also JSON, CSV, gzip, and Binance
  names), read lazily and kept once read. Feather goes straight from Arrow to numpy; other
  formats through ``candle_files``.
- ``SeriesCandleStore``: ``CandleSeries`` already in memory (the replay feed's, tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import numpy as np

from services.exchange.candle_files import PRICE_CANDLE_TYPES, parse_file_name, read_candles
from services.exchange.candles import CandleSeries, parse_timeframe
from services.tracking.model import CandleArrays

__all__ = [
    "CandleStore",
    "DirectoryCandleStore",
    "SeriesCandleStore",
    "arrays_of",
    "pair_symbols",
]

DEFAULT_QUOTE: Final = "USDT"


class CandleStore(Protocol):
    def arrays(self, base: str, quote: str | None, *, futures: bool) -> CandleArrays | None:
        """The pair's candles at the finest timeframe there is, or None."""
        ...


def pair_symbols(base: str, quote: str | None, *, futures: bool) -> list[str]:
    """The unified symbols to try, in order: the perpetual first for a futures signal."""
    base, quote = base.upper(), (quote or DEFAULT_QUOTE).upper()
    spot = f"{base}/{quote}"
    return [f"{spot}:{quote}", spot] if futures else [spot]


def _arrays(symbol: str, timeframe_s: int, times: np.ndarray, ohlc: np.ndarray) -> CandleArrays:
    """Sorted by time, one candle per time (the first kept)."""
    order = np.argsort(times, kind="stable")
    times, ohlc = times[order], ohlc[order]
    keep = np.ones(times.shape[0], dtype=bool)
    keep[1:] = times[1:] != times[:-1]
    times, ohlc = times[keep], ohlc[keep]
    return CandleArrays(
        symbol=symbol,
        timeframe_s=timeframe_s,
        times=times.astype(np.int64),
        open=np.ascontiguousarray(ohlc[:, 0], dtype=np.float64),
        high=np.ascontiguousarray(ohlc[:, 1], dtype=np.float64),
        low=np.ascontiguousarray(ohlc[:, 2], dtype=np.float64),
        close=np.ascontiguousarray(ohlc[:, 3], dtype=np.float64),
    )


def arrays_of(series: CandleSeries) -> CandleArrays:
    """A ``CandleSeries`` (Decimal candles) as the tracker's arrays."""
    times = np.array([int(c.open_time.timestamp()) for c in series.candles], dtype=np.int64)
    ohlc = np.array(
        [(float(c.open), float(c.high), float(c.low), float(c.close)) for c in series.candles],
        dtype=np.float64,
    ).reshape(len(series.candles), 4)
    return _arrays(series.symbol, int(series.interval.total_seconds()), times, ohlc)


def _read_feather(path: Path, symbol: str, timeframe_s: int) -> CandleArrays:
    # only feather files need Arrow; pyarrow ships no type information (its values are Any)
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # noqa: PLC0415
    from pyarrow import feather  # noqa: PLC0415

    table = feather.read_table(path, columns=["date", "open", "high", "low", "close"])
    dates = table.column("date")
    seconds = pc.divide(pc.cast(dates, "int64"), 1_000_000_000)
    times = np.asarray(seconds.to_numpy(), dtype=np.int64)
    ohlc = np.column_stack(
        [np.asarray(table.column(name).to_numpy(), dtype=np.float64) for name in _OHLC]
    )
    return _arrays(symbol, timeframe_s, times, ohlc)


_OHLC: Final = ("open", "high", "low", "close")


def _read_any(path: Path, symbol: str, timeframe_s: int) -> CandleArrays:
    if path.name.lower().endswith(".feather"):
        return _read_feather(path, symbol, timeframe_s)
    candles = read_candles(path.read_bytes(), str(path))
    times = np.array([int(c.open_time.timestamp()) for c in candles], dtype=np.int64)
    ohlc = np.array(
        [(float(c.open), float(c.high), float(c.low), float(c.close)) for c in candles],
        dtype=np.float64,
    ).reshape(len(candles), 4)
    return _arrays(symbol, timeframe_s, times, ohlc)


@dataclass(frozen=True, slots=True)
class _File:
    path: Path
    timeframe_s: int


class DirectoryCandleStore:
    """freqtrade's data directory layout, read lazily. A file is read again when it changed
    (a downloader appending candles) and the folders are listed again when files come or go."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"No candle directory at {root}")
        self.root = root
        self._folders = (root, root / "futures")
        self._listed: tuple[int, ...] = ()
        self._files: dict[str, list[_File]] = {}
        self._loaded: dict[Path, tuple[int, CandleArrays]] = {}

    def _list(self) -> None:
        stamps = tuple(f.stat().st_mtime_ns if f.is_dir() else 0 for f in self._folders)
        if stamps == self._listed:
            return
        self._listed = stamps
        self._files = {}
        for folder in self._folders:
            if folder.is_dir():
                self._index(sorted(p for p in folder.iterdir() if p.is_file()))

    def _index(self, paths: Iterable[Path]) -> None:
        for path in paths:
            info = parse_file_name(path)
            if info is None or info.candle_type not in PRICE_CANDLE_TYPES:
                continue
            seconds = int(parse_timeframe(info.timeframe).total_seconds())
            self._files.setdefault(info.symbol, []).append(_File(path, seconds))
        for files in self._files.values():
            files.sort(key=lambda f: f.timeframe_s)

    def symbols(self) -> list[str]:
        self._list()
        return sorted(self._files)

    def arrays(self, base: str, quote: str | None, *, futures: bool) -> CandleArrays | None:
        self._list()
        for symbol in pair_symbols(base, quote, futures=futures):
            files = self._files.get(symbol)
            if files:
                return self._load(symbol, files[0])
        return None

    def _load(self, symbol: str, file: _File) -> CandleArrays | None:
        try:
            changed = file.path.stat().st_mtime_ns
        except FileNotFoundError:  # removed since the listing
            return None
        loaded = self._loaded.get(file.path)
        if loaded is None or loaded[0] != changed:
            loaded = self._loaded[file.path] = (
                changed,
                _read_any(file.path, symbol, file.timeframe_s),
            )
        return loaded[1]


class SeriesCandleStore:
    """Candle series in memory, the finest per symbol."""

    def __init__(self, series: Iterable[CandleSeries]) -> None:
        finest: dict[str, CandleSeries] = {}
        for one in series:
            kept = finest.get(one.symbol)
            if kept is None or one.interval < kept.interval:
                finest[one.symbol] = one
        self._arrays = {symbol: arrays_of(one) for symbol, one in finest.items()}

    def arrays(self, base: str, quote: str | None, *, futures: bool) -> CandleArrays | None:
        for symbol in pair_symbols(base, quote, futures=futures):
            found = self._arrays.get(symbol)
            if found is not None:
                return found
        return None
