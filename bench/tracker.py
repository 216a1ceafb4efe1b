"""Price-tracker throughput: ``python bench/tracker.py [signals] [--candles DIR]``.

Tracks 10,000 signals (default) over a year of real 5-minute candles of the pairs the bot
ships (BTC, ETH, SOL, XRP, DOGE, BNB; spot and the BTC, ETH, BNB perpetuals) with the issue 10
rules, and prints signals per second; the last line is JSON with ``signals_per_s`` (wall) and
``cpu_signals_per_s`` (this process's CPU time, steadier on a busy machine). Target: 2,000/s.

The signals are drawn with a fixed seed around the real price at their post time: long or
short, a market entry (one in five) or a zone within 1 % of the price, three targets 1, 2 and
4 % away, a stop 2 % the other way, a futures market for half of them. Loading the candles and
drawing the signals are not timed; the figure is ``price_outcome`` and ``followed_outcome``
(with one "move SL to entry" a day after the post for every other signal) over all of them.
Candles: ``--candles DIR`` (freqtrade layout), by default ``../shared/marketdata``'s Binance
folder next to this checkout.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.tracking.candle_store import DirectoryCandleStore  # noqa: E402
from services.tracking.model import (  # noqa: E402
    CandleArrays,
    ChannelMove,
    MoveKind,
    TrackedSignal,
    to_decimal,
)
from services.tracking.outcome import followed_outcome, price_outcome  # noqa: E402

DEFAULT_CANDLES = ROOT.parent / "shared" / "marketdata" / "harthor-marketlab" / "binance"
PAIRS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB")
YEAR = timedelta(days=365)
SEED = 20261207


def _price(value: Decimal, factor: float) -> Decimal:
    return (value * Decimal(repr(round(factor, 6)))).quantize(Decimal("1e-8")).normalize()


def draw(
    rng: random.Random, arrays: CandleArrays, futures: bool, start: int, end: int
) -> tuple[TrackedSignal, bool]:
    index = rng.randrange(start, end)
    price = to_decimal(arrays.open[index])
    posted = arrays.time_of(index) - timedelta(seconds=rng.randrange(0, 300))
    is_long = rng.random() < 0.5
    sign = 1 if is_long else -1
    zone = None
    if rng.random() >= 0.2:
        edge = _price(price, 1 - sign * rng.random() / 100)
        zone = (min(price, edge), max(price, edge))
    targets = tuple(_price(price, 1 + sign * p) for p in (0.01, 0.02, 0.04))
    signal = TrackedSignal(
        is_long=is_long,
        posted_at=posted,
        entry_low=zone[0] if zone else None,
        entry_high=zone[1] if zone else None,
        targets=targets,
        stop=_price(price, 1 - sign * 0.02),
    )
    return signal, futures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("signals", nargs="?", type=int, default=10_000)
    parser.add_argument("--candles", type=Path, default=DEFAULT_CANDLES)
    args = parser.parse_args()
    if not args.candles.is_dir():
        sys.exit(f"no candles at {args.candles} (give --candles DIR in freqtrade's layout)")
    store = DirectoryCandleStore(args.candles)
    series: list[tuple[CandleArrays, bool]] = []
    for base in PAIRS:
        for futures in (False, True):
            arrays = store.arrays(base, "USDT", futures=futures)
            if (
                arrays is not None
                and arrays.timeframe_s == 300
                and (not futures or arrays.symbol.endswith(":USDT"))
            ):
                series.append((arrays, futures))
    if not series:
        sys.exit(f"no 5-minute candles of {', '.join(PAIRS)} in {args.candles}")
    rng = random.Random(SEED)
    work = []
    candles = 0
    for _ in range(args.signals):
        arrays, futures = series[rng.randrange(len(series))]
        first = arrays.time_of(0)
        end = arrays.index_at_or_after(min(first + YEAR, arrays.time_of(len(arrays) - 1)))
        work.append((draw(rng, arrays, futures, 0, end)[0], arrays))
    candles = sum(len(a) for a, _ in series)
    moves_for = [
        [ChannelMove(s.posted_at + timedelta(days=1), MoveKind.MOVE_SL)] if i % 2 else []
        for i, (s, _) in enumerate(work)
    ]
    for signal, arrays in work[:200]:  # warm-up
        price_outcome(signal, arrays)
    wall, cpu = time.perf_counter(), time.process_time()
    results: dict[str, int] = {}
    for (signal, arrays), moves in zip(work, moves_for, strict=True):
        outcome = price_outcome(signal, arrays)
        results[outcome.result.value] = results.get(outcome.result.value, 0) + 1
        followed_outcome(signal, arrays, moves)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"series: {len(series)} ({candles:,} five-minute candles); signals: {len(work):,}")
    print("price outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(results.items())))
    print(f"tracked {len(work):,} signals (price and followed) in {wall:.2f} s")
    print(
        json.dumps(
            {
                "bench": "tracker",
                "signals": len(work),
                "signals_per_s": round(len(work) / wall),
                "cpu_signals_per_s": round(len(work) / cpu) if cpu else None,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )


if __name__ == "__main__":
    main()
