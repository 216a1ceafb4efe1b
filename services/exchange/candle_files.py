"""Candle files: read OHLCV files into ``CandleSeries`` (the types are ``candles``).

Readers (format detected from the file content; the name only supplies symbol and timeframe):

- CSV with a header: a time column (``open_time``, ``timestamp``, ``date``, ``time`` or
  ``datetime``) holding ISO 8601 or epoch seconds/ms/µs, then ``open, high, low, close, volume``;
  extra columns (``taker_buy_base_asset_volume`` ...) are ignored. Headerless Binance kline CSVs
  (``open_time_ms, open, high, low, close, volume, ...``) are read too.
- freqtrade JSON: ``[[ms, o, h, l, c, v], ...]`` (freqtrade's own layout), an array of records
  ``[{"date": ms, "open": ...}, ...]``, or a pandas column dump ``{"date": {"0": ms}, ...}``.
- freqtrade feather (``pyarrow`` is imported only when such a file is read).
- gzip-compressed versions of any of the above (``.csv.gz``, ``.json.gz``; found by magic bytes).

Times are aware UTC datetimes marking the candle *open*; naive ISO times are taken as UTC.
Prices and volumes are ``Decimal``: CSV and JSON text goes straight to ``Decimal`` (no float
round trip); feather floats go through ``Decimal(str(x))``.

File names give symbol and timeframe (explicit arguments win):
``BTC_USDT-1h.feather`` -> ``BTC/USDT`` (spot); ``BTC_USDT_USDT-5m-futures.feather`` ->
``BTC/USDT:USDT`` (ccxt's unified symbol for the USDT-settled perpetual, as freqtrade names it);
``BTCUSDT_1m.csv`` / ``BTCUSDT-1m-2025-07.csv`` -> ``BTC/USDT`` (the name cannot tell spot from
perpetual, so it is read as spot; pass ``symbol=`` to say otherwise).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from services.exchange.candles import EPOCH, Candle, CandleSeries, format_timeframe
from services.quotes import split_glued

__all__ = [
    "CandleFileError",
    "FileNameInfo",
    "load_candles",
    "load_directory",
    "parse_file_name",
    "read_candles",
]

_TIME_COLUMNS: Final = ("open_time", "timestamp", "date", "time", "datetime", "open time")
_PRICE_COLUMNS: Final = ("open", "high", "low", "close", "volume")
_CANDLE_EXTENSIONS: Final = (".feather", ".json", ".json.gz", ".jsongz", ".csv", ".csv.gz")
# freqtrade candle types; only these two are prices of the pair itself.
PRICE_CANDLE_TYPES: Final = frozenset({"spot", "futures"})

_FREQTRADE_NAME_RE: Final = re.compile(
    r"^(?P<pair>[A-Za-z0-9]+(?:_[A-Za-z0-9]+){1,2})-(?P<tf>\d+[smhdw])"
    r"(?:-(?P<ctype>futures|mark|index|premiumIndex|funding_rate|spot))?$"
)
_BINANCE_NAME_RE: Final = re.compile(
    r"^(?P<sym>[A-Za-z0-9]+)[_-](?P<tf>\d+[smhdw])(?:-\d{4}-\d{2}(?:-\d{2})?)?$"
)


class CandleFileError(ValueError):
    """A candle file could not be read: unknown layout, bad values, or a missing reader."""


# --- file names ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileNameInfo:
    """What a candle file's name says. ``candle_type`` is freqtrade's (spot, futures, mark...)."""

    symbol: str
    timeframe: str
    candle_type: str = "spot"


def _strip_extension(name: str) -> str:
    for ext in sorted(_CANDLE_EXTENSIONS, key=len, reverse=True):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name.removesuffix(".gz")


def _split_concatenated(symbol: str) -> str | None:
    splits = split_glued(symbol.upper())  # the one quote table, "FDUSD" before "USD"
    return f"{splits[0][0]}/{splits[0][1]}" if splits else None


def parse_file_name(name: str | Path) -> FileNameInfo | None:
    """Symbol, timeframe and candle type from a candle file name, or ``None`` if the name
    follows neither freqtrade's (``BTC_USDT-1h``, ``BTC_USDT_USDT-5m-futures``) nor Binance's
    (``BTCUSDT_1m``, ``BTCUSDT-1m-2025-07``) convention."""
    stem = _strip_extension(Path(name).name)
    match = _FREQTRADE_NAME_RE.match(stem)
    if match is not None:
        parts = match.group("pair").upper().split("_")
        symbol = f"{parts[0]}/{parts[1]}" + (f":{parts[2]}" if len(parts) == 3 else "")
        ctype = match.group("ctype") or ("futures" if len(parts) == 3 else "spot")
        return FileNameInfo(symbol, match.group("tf"), ctype)
    match = _BINANCE_NAME_RE.match(stem)
    if match is not None:
        pair = _split_concatenated(match.group("sym"))
        if pair is not None:
            return FileNameInfo(pair, match.group("tf"))
    return None


# --- values -------------------------------------------------------------------------------


def _to_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise CandleFileError(f"{what}: not a number: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise CandleFileError(f"{what}: not a number: {value!r}") from None
    raise CandleFileError(f"{what}: not a number: {value!r}")


def _from_epoch(number: Decimal | int) -> datetime:
    """Epoch seconds, milliseconds or microseconds (told apart by magnitude) -> UTC."""
    value = Decimal(number)
    if abs(value) >= Decimal(10) ** 14:  # µs (Binance spot klines since 2025)
        micros = value
    elif abs(value) >= Decimal(10) ** 11:  # ms (freqtrade JSON, Binance klines)
        micros = value * 1000
    else:  # seconds
        micros = value * 1_000_000
    return EPOCH + timedelta(microseconds=int(micros))


def _to_time(value: object, what: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return _from_epoch(value)
    elif isinstance(value, float):
        return _from_epoch(Decimal(str(value)))
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return _from_epoch(Decimal(text))
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise CandleFileError(f"{what}: not a time: {value!r}") from None
    else:
        raise CandleFileError(f"{what}: not a time: {value!r}")
    if parsed.tzinfo is None:  # documented: naive times are UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _candle(time: object, values: Sequence[object], where: str) -> Candle:
    try:
        o, h, low, c, v = (
            _to_decimal(x, f"{where} {n}") for n, x in zip(_PRICE_COLUMNS, values, strict=True)
        )
        return Candle(_to_time(time, f"{where} time"), o, h, low, c, v)
    except ValueError as exc:
        if isinstance(exc, CandleFileError):
            raise
        raise CandleFileError(f"{where}: {exc}") from exc


# --- formats ------------------------------------------------------------------------------


def _read_csv(text: str, where: str) -> list[Candle]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None:
        return []
    names = [h.strip().lower() for h in header]
    candles: list[Candle] = []
    if names and re.fullmatch(r"-?\d+(\.\d+)?", names[0]):
        # Headerless Binance kline CSV: open_time, open, high, low, close, volume, ...
        for line_no, row in enumerate([header, *rows], start=1):
            if row:
                candles.append(_candle(row[0], row[1:6], f"{where} line {line_no}"))
        return candles
    time_column = next((names.index(n) for n in _TIME_COLUMNS if n in names), None)
    missing = [n for n in _PRICE_COLUMNS if n not in names]
    if time_column is None or missing:
        raise CandleFileError(
            f"{where}: CSV header {header} lacks "
            + ("a time column " if time_column is None else "")
            + (f"columns {missing}" if missing else "")
        )
    columns = [names.index(n) for n in _PRICE_COLUMNS]
    for line_no, row in enumerate(rows, start=2):
        if row:
            candles.append(
                _candle(row[time_column], [row[i] for i in columns], f"{where} line {line_no}")
            )
    return candles


def _record_time(record: Mapping[str, object], where: str) -> object:
    for name in _TIME_COLUMNS:
        if name in record:
            return record[name]
    raise CandleFileError(f"{where}: record has no time field ({sorted(record)})")


def _read_json(text: str, where: str) -> list[Candle]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CandleFileError(f"{where}: not valid JSON: {exc}") from exc
    if isinstance(data, dict) and "columns" in data and "data" in data:  # pandas orient=split
        data = [dict(zip(data["columns"], row, strict=True)) for row in data["data"]]
    if isinstance(data, dict):  # pandas orient=columns: {"date": {"0": ...}, "open": {...}}
        try:
            columns = {name.lower(): col for name, col in data.items()}
            time_name = next(n for n in _TIME_COLUMNS if n in columns)
            keys = columns[time_name]
            index = sorted(keys, key=int) if isinstance(keys, dict) else list(range(len(keys)))
            return [
                _candle(
                    columns[time_name][i],
                    [columns[n][i] for n in _PRICE_COLUMNS],
                    f"{where} row {i}",
                )
                for i in index
            ]
        except (StopIteration, KeyError, IndexError, TypeError) as exc:
            raise CandleFileError(f"{where}: unknown JSON column layout ({exc!r})") from exc
    if not isinstance(data, list):
        raise CandleFileError(f"{where}: expected a JSON array or object of candles")
    candles: list[Candle] = []
    for i, item in enumerate(data):
        row_where = f"{where} row {i}"
        if isinstance(item, list) and len(item) >= 6:  # freqtrade: [ms, o, h, l, c, v]
            candles.append(_candle(item[0], item[1:6], row_where))
        elif isinstance(item, dict):
            record = {str(k).lower(): v for k, v in item.items()}
            try:
                values = [record[n] for n in _PRICE_COLUMNS]
            except KeyError as exc:
                raise CandleFileError(f"{row_where}: missing field {exc}") from None
            candles.append(_candle(_record_time(record, row_where), values, row_where))
        else:
            raise CandleFileError(f"{row_where}: expected [ms, o, h, l, c, v] or a record")
    return candles


def _read_feather(raw: bytes, where: str) -> list[Candle]:
    try:
        # pyarrow ships no type information (and is optional): its tables are Any here.
        import pyarrow as pa  # type: ignore[import-untyped]
        from pyarrow import feather
    except ImportError as exc:
        raise CandleFileError(
            f"{where}: reading feather files needs pyarrow "
            "(pip install pyarrow, or install the project's 'dev' extra)"
        ) from exc
    table = feather.read_table(pa.BufferReader(raw))
    names = {name.lower(): name for name in table.column_names}
    time_name = next((names[n] for n in _TIME_COLUMNS if n in names), None)
    missing = [n for n in _PRICE_COLUMNS if n not in names]
    if time_name is None or missing:
        raise CandleFileError(f"{where}: feather columns {table.column_names} are not OHLCV")
    time_column = table.column(time_name)
    if pa.types.is_timestamp(time_column.type):
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[time_column.type.unit]
        ticks = time_column.cast(pa.int64()).to_pylist()
        times: list[object] = [
            EPOCH + timedelta(microseconds=t * 10**6 // per_second) for t in ticks
        ]
    else:
        times = time_column.to_pylist()
    values = [table.column(names[n]).to_pylist() for n in _PRICE_COLUMNS]
    return [
        _candle(t, [col[i] for col in values], f"{where} row {i}") for i, t in enumerate(times)
    ]


def read_candles(raw: bytes, where: str = "<bytes>") -> list[Candle]:
    """Parse candle file content (any supported format, optionally gzipped), unsorted."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise CandleFileError(f"{where}: broken gzip data: {exc}") from exc
    if raw[:6] == b"ARROW1":
        return _read_feather(raw, where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CandleFileError(f"{where}: neither feather, JSON nor CSV text") from exc
    if text.lstrip()[:1] in ("[", "{"):
        return _read_json(text, where)
    return _read_csv(text, where)


def _infer_timeframe(candles: Sequence[Candle], where: str) -> str:
    times = sorted(c.open_time for c in candles)
    steps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    if not steps:
        raise CandleFileError(f"{where}: cannot infer the timeframe; pass timeframe=")
    return format_timeframe(min(steps))


def load_candles(
    path: str | Path,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    exchange: str | None = None,
    origin: str | None = None,
) -> CandleSeries:
    """Read one candle file. ``symbol``/``timeframe`` override what the file name says;
    without a usable name the timeframe is inferred from the candle spacing, and the symbol
    must be given. ``origin`` defaults to the file name.

    Raises ``CandleFileError`` (unreadable, inconsistent, or no symbol) and ``OSError``.
    """
    path = Path(path)
    info = parse_file_name(path)
    candles = read_candles(path.read_bytes(), path.name)
    symbol = symbol or (info.symbol if info else None)
    if symbol is None:
        raise CandleFileError(f"{path.name}: cannot infer the symbol from the name; pass symbol=")
    timeframe = (
        timeframe or (info.timeframe if info else None) or _infer_timeframe(candles, path.name)
    )
    try:
        return CandleSeries(symbol, timeframe, tuple(candles), exchange, origin or path.name)
    except ValueError as exc:
        raise CandleFileError(f"{path.name}: {exc}") from exc


def load_directory(
    path: str | Path,
    *,
    exchange: str | None = None,
    origin: str | None = None,
    candle_types: Iterable[str] = PRICE_CANDLE_TYPES,
) -> list[CandleSeries]:
    """Load every candle file under ``path`` (recursively; a freqtrade ``datadir`` or
    ``datadir/<exchange>`` with its ``futures/`` folder). Files whose names are not candle file
    names (README, trades) and freqtrade candle types outside ``candle_types`` (mark, index,
    funding_rate by default) are skipped. Sorted by symbol and timeframe."""
    root = Path(path)
    if not root.is_dir():
        raise CandleFileError(f"{root}: not a directory")
    wanted = set(candle_types)
    series: list[CandleSeries] = []
    for file in sorted(root.rglob("*")):
        if not file.is_file() or not file.name.lower().endswith(_CANDLE_EXTENSIONS):
            continue
        info = parse_file_name(file)
        if info is None or info.candle_type not in wanted:
            continue
        series.append(load_candles(file, exchange=exchange, origin=origin))
    series.sort(key=lambda s: (s.symbol, s.interval))
    return series
