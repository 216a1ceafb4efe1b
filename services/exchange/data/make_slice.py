"""Cut the offline demo slice shipped in this folder out of the shared market data.

Reads Harthor/marketlab's Binance spot 1h feather files (freqtrade layout; copies under
``/work/shared/marketdata/harthor-marketlab/binance/``, see that folder's README), keeps the
last ``--days`` whole UTC days that every pair covers, and writes one gzip CSV per pair in the
C2 layout (``timestamp,open,high,low,close,volume``; ``timestamp`` = candle open, UTC) named
freqtrade-style (``BTC_USDT-1h.csv.gz``), plus this folder's ``README.md``. The USDT-M
perpetuals there (``futures/BTC_USDT_USDT-5m-futures.feather``...) are cut to the same window
and joined into 1h candles (``BTC_USDT_USDT-1h-futures.csv.gz``: the first open, the highest
high, the lowest low, the last close and the summed volume of the hour's twelve 5m candles).

Reproducible: the same input gives byte-identical output (gzip without name or mtime; floats
written as ``str(float)``, the shortest text that reads back to the same float).

    .venv/bin/python services/exchange/data/make_slice.py            # needs pyarrow
    .venv/bin/python services/exchange/data/make_slice.py --days 30 --source /path/to/binance
"""

from __future__ import annotations

import argparse
import gzip
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from pyarrow import feather

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2].parent / "shared" / "marketdata" / "harthor-marketlab" / "binance"
PAIRS = ("BTC_USDT", "ETH_USDT", "SOL_USDT", "XRP_USDT", "DOGE_USDT", "BNB_USDT")
PERP_PAIRS = ("BTC_USDT_USDT", "ETH_USDT_USDT", "BNB_USDT_USDT")
PERP_TIMEFRAME = "5m"
PER_HOUR = 12  # 5m candles in one 1h candle
TIMEFRAME = "1h"
REPO = "Harthor/marketlab"
COMMIT = "6135a753162dd7dfe1c4d7fd282c1c8b65c5bede"
REPO_DIR = "user_data/data/binance"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TABLE_HEADER = (
    "| file | source path in the repo | pair / market | tf | first candle (UTC) "
    "| last candle (UTC) | rows | close range | bytes |\n" + "| --- " * 9 + "|"
)

Row = tuple[datetime, float, float, float, float, float]


def read_rows(path: Path) -> list[Row]:
    table = feather.read_table(path)
    ns = table.column("date").cast(pa.int64()).to_pylist()
    cols = [table.column(n).to_pylist() for n in ("open", "high", "low", "close", "volume")]
    return [
        (EPOCH + timedelta(microseconds=t // 1000), *(c[i] for c in cols))  # type: ignore[misc]
        for i, t in enumerate(ns)
    ]


def write_csv_gz(path: Path, rows: list[Row]) -> None:
    text = io.StringIO()
    text.write("timestamp,open,high,low,close,volume\n")
    for t, *values in rows:
        text.write(t.isoformat(sep=" ") + "," + ",".join(str(v) for v in values) + "\n")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode())
    path.write_bytes(buffer.getvalue())


def hourly(rows: list[Row]) -> list[Row]:
    """5m rows -> 1h rows; every hour must have its twelve candles."""
    hours: dict[datetime, list[Row]] = {}
    for row in rows:
        hours.setdefault(row[0].replace(minute=0, second=0, microsecond=0), []).append(row)
    joined: list[Row] = []
    for hour, parts in sorted(hours.items()):
        if len(parts) != PER_HOUR:
            raise SystemExit(f"{hour}: {len(parts)} 5m candles, expected {PER_HOUR}")
        volume = float(sum((Decimal(str(p[5])) for p in parts), Decimal(0)))
        high = max(p[2] for p in parts)
        low = min(p[3] for p in parts)
        joined.append((hour, parts[0][1], high, low, parts[-1][4], volume))
    return joined


def table_row(name: str, source: str, market: str, window: list[Row], size: int) -> str:
    closes = [r[4] for r in window]
    return (
        f"| `{name}` | `{source}` | {market} | {TIMEFRAME} | {window[0][0]:%Y-%m-%d %H:%M} | "
        f"{window[-1][0]:%Y-%m-%d %H:%M} | {len(window)} | {min(closes)}–{max(closes)} | "
        f"{size:,} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()

    data = {pair: read_rows(args.source / f"{pair}-{TIMEFRAME}.feather") for pair in PAIRS}
    # End at the last midnight before every pair's final candle closes, so all pairs replay
    # the same window.
    last_close = min(rows[-1][0] + timedelta(hours=1) for rows in data.values())
    end = last_close.replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)

    table_rows = []
    total = 0
    for pair, rows in data.items():
        window = [r for r in rows if start <= r[0] < end]
        expected = args.days * 24
        if len(window) != expected:
            raise SystemExit(f"{pair}: {len(window)} candles in the window, expected {expected}")
        name = f"{pair}-{TIMEFRAME}.csv.gz"
        write_csv_gz(args.out / name, window)
        size = (args.out / name).stat().st_size
        total += size
        source = f"{REPO_DIR}/{pair}-{TIMEFRAME}.feather"
        market = f"{pair.replace('_', '/')} Binance spot"
        table_rows.append(table_row(name, source, market, window, size))
        print(f"{name}: {len(window)} rows, {size:,} bytes")
    for pair in PERP_PAIRS:
        source = f"futures/{pair}-{PERP_TIMEFRAME}-futures.feather"
        rows = [r for r in read_rows(args.source / source) if start <= r[0] < end]
        window = hourly(rows)
        if len(window) != args.days * 24:
            raise SystemExit(f"{pair}: {len(window)} hours in the window")
        name = f"{pair}-{TIMEFRAME}-futures.csv.gz"
        write_csv_gz(args.out / name, window)
        size = (args.out / name).stat().st_size
        total += size
        base, quote, settle = pair.split("_")
        market = f"{base}/{quote}:{settle} Binance USDT-M perpetual (from 5m)"
        table_rows.append(table_row(name, f"{REPO_DIR}/{source}", market, window, size))
        print(f"{name}: {len(window)} rows, {size:,} bytes")
    print(f"total {total:,} bytes")
    (args.out / "README.md").write_text(render_readme(table_rows, total, args.days))


def render_readme(table_rows: list[str], total: int, days: int) -> str:
    rows = "\n".join(table_rows)
    return f"""# Offline demo candles (`ReplayFeed.default()`)

Real Binance **spot** 1h candles, the last {days} whole UTC days that all six pairs cover,
and the same hours of the **USDT-M perpetuals** BTC, ETH and BNB, cut by `make_slice.py` (in
this folder; reproducible, byte-identical output) from the feather files of
**{REPO} @ {COMMIT}** (folder `{REPO_DIR}/`; the data folder exists only in that commit).
Nothing is synthetic or edited: each spot row is one row of the source file, floats written as
Python's shortest round-trip text; each perp row joins the hour's twelve 5m rows of the source
(first open, highest high, lowest low, last close, summed volume). The replay prices the other
perps (`SOL/USDT:USDT`...) at their spot series.

Format: gzip CSV, header `timestamp,open,high,low,close,volume`; `timestamp` is the candle
**open** in UTC (`YYYY-MM-DD HH:MM:SS+00:00`), volume in base-asset units. File names follow
freqtrade (`BTC_USDT-1h`, `BTC_USDT_USDT-1h-futures`), so
`services.exchange.candle_files.load_directory` infers pair (spot or perp) and timeframe.

{TABLE_HEADER}
{rows}

Total: {total:,} bytes.

## Licence caveat

{REPO} has no LICENSE file (default: all rights reserved for the repository); the numbers
themselves are Binance market data under Binance's terms. The shared market-data README
(`/work/shared/marketdata/README.md`) says: "most sources carry no licence, so ship at most a
small slice in the project (for the offline demo feed) and read the rest from here in tests",
and in its licence caveat: "Fine as local test fixtures under `shared/`; do not ship them in
the project's git history or a release." This folder is that small demo slice and nothing
more; before publishing a release, replace it with data you are allowed to redistribute
(rerun `make_slice.py --source DIR` on it) or drop it and run the bot with a live feed.

Regenerate: `.venv/bin/python services/exchange/data/make_slice.py [--days N] [--source DIR]`.
"""


if __name__ == "__main__":
    main()
