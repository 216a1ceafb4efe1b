"""Where the shared corpus and candles live; tests that need them skip when they are absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# /work/main/tests/unit/backtest/conftest.py -> parents[3] is the repo, its parent holds shared/
SHARED = Path(__file__).resolve().parents[3].parent / "shared"
CORPUS = SHARED / "corpus" / "dev.jsonl"
BINANCE = SHARED / "marketdata" / "harthor-marketlab" / "binance"


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    """The real posts of shared/corpus/dev.jsonl by id (skips when the corpus is absent)."""
    if not CORPUS.is_file():
        pytest.skip(f"shared corpus not found: {CORPUS}")
    texts: dict[str, str] = {}
    with CORPUS.open(encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            texts[item["id"]] = item["text"]
    return texts


@pytest.fixture(scope="module")
def binance_candles() -> Path:
    """shared/marketdata's Binance data directory (spot 5m files, futures/ perps)."""
    if not (BINANCE / "BTC_USDT-5m.feather").is_file():
        pytest.skip(f"shared market data not found: {BINANCE} (see shared/marketdata/README.md)")
    return BINANCE
