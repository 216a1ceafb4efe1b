"""Rules-only parser throughput on the dev corpus: ``python bench/parser.py [seconds]``.

Runs on one core for a few seconds and prints posts per second; the last line is JSON.
``cpu_posts_per_s`` is the best rate of any five corpus passes in this process's CPU time: on
a shared, busy machine it moves much less than the wall-clock ``posts_per_s``, so compare two
versions with it. ``parser`` says whether the modules compiled by mypyc ran (``native``, what
``make install`` builds) or the pure-Python ones (and why): ``TSBOT_PARSER_NATIVE=0`` times
the latter.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.signal_parser import native, parse  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
PASSES_PER_ROUND = 5
FALLBACK = [
    "BTC/USDT LONG\nEntry: 42000 - 42500\nTP1: 43000\nTP2: 44000\nSL: 41000\nLeverage: 10x",
    "#ETH/USDT Take-Profit target 2 ✅\nProfit: 69.8% 📈",
    "Join our VIP channel! https://t.me/+abc",
]


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    if CORPUS.exists():
        texts = [
            json.loads(line)["text"] for line in CORPUS.open(encoding="utf-8") if line.strip()
        ]
    else:
        texts = FALLBACK
    for text in texts:  # warm-up: regex caches, lazy imports
        parse(text)
    posts = 0
    best_cpu_rate = 0.0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        cpu_start = time.process_time()
        for _ in range(PASSES_PER_ROUND):
            for text in texts:
                parse(text)
        cpu = time.process_time() - cpu_start
        best_cpu_rate = max(best_cpu_rate, PASSES_PER_ROUND * len(texts) / cpu)
        posts += PASSES_PER_ROUND * len(texts)
    elapsed = time.perf_counter() - start
    rate = posts / elapsed
    mean_chars = sum(len(t) for t in texts) / len(texts)
    print(
        f"parsed {posts} posts in {elapsed:.2f} s: {rate:,.0f} posts/s "
        f"({1e6 / rate:.1f} us/post, mean {mean_chars:.0f} chars); parser: {native.status()}"
    )
    print(
        json.dumps(
            {
                "posts_per_s": round(rate),
                "cpu_posts_per_s": round(best_cpu_rate),
                "us_per_post": round(1e6 / rate, 2),
                "posts": posts,
                "seconds": round(elapsed, 3),
                "corpus_posts": len(texts),
                "parser": native.status(),
                "corpus": str(CORPUS) if CORPUS.exists() else "builtin",
            }
        )
    )


if __name__ == "__main__":
    main()
