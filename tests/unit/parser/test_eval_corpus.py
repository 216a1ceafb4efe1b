"""The project's own labelled batches (``tests/corpus/batch*.jsonl``): well-formed, from allowed
sources, and scored by ``tsbot parse --eval``'s comparer with floors that only go up."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from services.signal_parser import parse
from services.signal_parser.evaluate import Labelled, load_labels, score, summarise

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"
BATCHES = sorted(CORPUS_DIR.glob("batch*.jsonl"))
# The repositories whose posts are kept apart for the independent check (issue 11).
KEPT_APART = (
    "CryptobotCZ/crypto-signals-analysis",
    "Past-Tang/telegram-signal-analyzer",
    "liker0704/telegram-signals-parisng",
    "erma0x/teleryum",
    "LittleUmbrella/tigger",
    "JuicedBakker/telegram-crypto-signal-parser",
    "JeBance/UniSignal",
    "RodrigoPerezDomanico/cpt-telegram-tradingsignals-interpreter",
    "VireshAmbardar/PersonalTelegramTradingBot",
    "dimkadiver-cpu/TRADING_BOT_TELEGRAM",
    "hieubagiang/autobot",
    "Jose-BF/telegram-signal-copier",
)
# Entry posts fully right per batch: the first (unfitted) scores were batch1 0.11, batch2 0.66,
# batch4 0.62, batch6 0.27, batch7 0.36, batch8 1.0 (docs/PARSER_SCORES.md); the floors are the
# figures reached since, and only go up.
ENTRY_FLOOR = {
    "batch1": 1.0,
    "batch2": 1.0,
    "batch4": 1.0,
    "batch6": 1.0,
    "batch7": 1.0,
    "batch8": 1.0,
}
# Update types right per batch (issue 11 asks for 90 %).
UPDATE_FLOOR = {"batch1": 1.0, "batch3": 1.0, "batch4": 1.0, "batch8": 1.0}
# False entries: none on any batch.
FALSE_ENTRY_CEILING: dict[str, int] = {}
# Wrong entry readings at or above the confidence threshold, as a share of the entry posts
# (issue 11 asks for at most 2 %), and the share of wrong readings below it (at least 90 %).
WRONG_ABOVE_CEILING = 0.02
WRONG_BELOW_FLOOR = 0.9
UPDATE_TYPES = {"tp_hit", "sl_hit", "move_sl", "close", "partial_close", "cancel", "entry_filled"}


def _raw(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_there_are_batches() -> None:
    assert BATCHES, f"no batch*.jsonl under {CORPUS_DIR}"


@pytest.mark.parametrize("path", BATCHES, ids=[p.stem for p in BATCHES])
def test_batch_records_follow_the_conventions(path: Path) -> None:
    records = load_labels(path)
    raw = _raw(path)
    assert len({r.id for r in records}) == len(records), "ids are unique"
    assert len({r.text for r in records}) == len(records), "no post twice"
    for item, record in zip(raw, records, strict=True):
        source = str(item["source"])
        assert source and not any(repo in source for repo in KEPT_APART), record.id
        _check_label(record)


def _check_label(record: Labelled) -> None:
    label = record.label
    for key in ("kind", "base", "quote", "side", "market", "entry", "targets", "stop_loss"):
        assert key in label, (record.id, key)
    for key in ("base", "quote"):
        assert label[key] is None or label[key] == str(label[key]).upper(), record.id
    assert label["side"] in (None, "long", "short"), record.id
    assert label["market"] in (None, "spot", "futures"), record.id
    entry = label["entry"]
    if isinstance(entry, list):
        assert entry == sorted(entry) and 1 <= len(entry) <= 2, record.id
    else:
        assert entry in (None, "market"), record.id
    assert all(isinstance(t, int | Decimal) for t in label["targets"]), record.id
    if record.kind == "update":
        assert label["update"]["type"] in {*UPDATE_TYPES, "other"}, record.id
    else:
        assert label["update"] is None, record.id


@pytest.mark.parametrize("path", BATCHES, ids=[p.stem for p in BATCHES])
async def test_batch_scores_hold_their_floor(path: Path) -> None:
    """No update or advert is read as an entry; entries fully right never fall under the floor."""
    report = summarise(await score(load_labels(path), parse))
    assert report.false_entries <= FALSE_ENTRY_CEILING.get(path.stem, 0)
    assert report.entries_right.share >= ENTRY_FLOOR.get(path.stem, 0.0), report.entries_right
    assert report.update_types.share >= UPDATE_FLOOR.get(path.stem, 0.0), report.update_types
    wrong_above = report.wrong_above_of_entries
    assert wrong_above.hit <= wrong_above.of * WRONG_ABOVE_CEILING, wrong_above
    assert report.wrong_below.share >= WRONG_BELOW_FLOOR, report.wrong_below
