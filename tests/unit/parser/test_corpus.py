"""Table tests over the labelled dev corpus (``/work/shared/corpus/dev.jsonl``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.signal_parser import parse
from services.signal_parser.cli import to_output_dict

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "dev.jsonl"
FIELDS = ("kind", "base", "quote", "side", "market", "entry", "targets", "stop_loss", "leverage")
MIN_ENTRY_ACCURACY = 0.97


def _records() -> list[dict[str, Any]]:
    if not CORPUS.exists():
        return []
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


RECORDS = _records()
needs_corpus = pytest.mark.skipif(not RECORDS, reason=f"dev corpus not found at {CORPUS}")


def _norm(value: Any) -> Any:
    """Compare numbers by value (labels are JSON floats, results are Decimals as written)."""
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    return value


def _misses(record: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    label = record["label"]
    got = to_output_dict(parse(record["text"]))
    return {f: (got[f], label[f]) for f in FIELDS if _norm(got[f]) != _norm(label[f])}


def _report(failures: dict[str, dict[str, tuple[Any, Any]]]) -> str:
    lines = []
    per_field: dict[str, int] = {}
    for rid, misses in failures.items():
        for f, (got, want) in misses.items():
            per_field[f] = per_field.get(f, 0) + 1
            lines.append(f"  {rid}: {f}: got {got!r} want {want!r}")
    head = ", ".join(f"{f}={n}" for f, n in sorted(per_field.items()))
    return f"misses per field: {head}\n" + "\n".join(lines)


@needs_corpus
def test_unambiguous_entry_posts_have_every_field_right() -> None:
    entries = [r for r in RECORDS if r["label"]["kind"] == "entry" and not r["label"]["ambiguous"]]
    failures = {r["id"]: m for r in entries if (m := _misses(r))}
    accuracy = 1 - len(failures) / len(entries)
    assert accuracy >= MIN_ENTRY_ACCURACY, f"{accuracy:.1%} fully right\n" + _report(failures)


@needs_corpus
def test_no_update_or_other_post_is_read_as_an_entry() -> None:
    wrong = {
        r["id"]: parse(r["text"]).kind.value
        for r in RECORDS
        if r["label"]["kind"] != "entry" and parse(r["text"]).kind.value == "entry"
    }
    assert not wrong, wrong


@needs_corpus
def test_update_types_on_undisputed_updates() -> None:
    updates = [
        r
        for r in RECORDS
        if r["label"]["kind"] == "update"
        and not r["label"]["ambiguous"]
        and not r["label"].get("update_type_disputed")
    ]
    wrong = {}
    for r in updates:
        got = parse(r["text"])
        want = r["label"]["update"]
        have = (got.update.type.value, got.update.target_index) if got.update else None
        if have != (want["type"], want["target_index"]) or got.base != r["label"]["base"]:
            wrong[r["id"]] = (have, got.base, want, r["label"]["base"])
    assert len(wrong) <= len(updates) * 0.05, wrong


@needs_corpus
@pytest.mark.parametrize("record", RECORDS, ids=[r["id"] for r in RECORDS])
def test_every_post_parses_with_sane_result(record: dict[str, Any]) -> None:
    result = parse(record["text"])
    assert 0.0 <= result.confidence <= 1.0
    for start, end in result.spans.values():
        assert 0 <= start <= end <= len(record["text"])
