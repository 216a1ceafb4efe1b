"""Table tests over the labelled dev corpus (``/work/shared/corpus/dev.jsonl``) and the
project's own batches (``tests/corpus/*.jsonl``), compared by ``evaluate.compare`` (the one
comparer ``tsbot parse --eval`` uses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.signal_parser import parse
from services.signal_parser.evaluate import Labelled, Scored, compare, load_labels, score

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "dev.jsonl"
MIN_ENTRY_ACCURACY = 0.97

RECORDS: list[Labelled] = load_labels(CORPUS) if CORPUS.exists() else []
needs_corpus = pytest.mark.skipif(not RECORDS, reason=f"dev corpus not found at {CORPUS}")


def _report(failures: dict[str, dict[str, tuple[object, object]]]) -> str:
    lines = []
    per_field: dict[str, int] = {}
    for rid, misses in failures.items():
        for f, (got, want) in misses.items():
            per_field[f] = per_field.get(f, 0) + 1
            lines.append(f"  {rid}: {f}: got {got!r} want {want!r}")
    head = ", ".join(f"{f}={n}" for f, n in sorted(per_field.items()))
    return f"misses per field: {head}\n" + "\n".join(lines)


async def _scored() -> list[Scored]:
    return await score(RECORDS, parse)


@needs_corpus
async def test_unambiguous_entry_posts_have_every_field_right() -> None:
    entries = [s for s in await _scored() if s.scored_entry]
    failures = {s.post.id: s.misses for s in entries if s.misses}
    accuracy = 1 - len(failures) / len(entries)
    assert accuracy >= MIN_ENTRY_ACCURACY, f"{accuracy:.1%} fully right\n" + _report(failures)


@needs_corpus
async def test_no_update_or_other_post_is_read_as_an_entry() -> None:
    wrong = {s.post.id: s.post.kind for s in await _scored() if s.false_entry}
    assert not wrong, wrong


@needs_corpus
def test_update_types_on_undisputed_updates() -> None:
    """Type, target number and coin of every update both readers agreed on."""
    updates = [r for r in RECORDS if r.scored_update]
    wrong = {r.id: m for r in updates if (m := compare(parse(r.text), r.label))}
    assert len(wrong) <= len(updates) * 0.05, _report(wrong)


@needs_corpus
@pytest.mark.parametrize("record", RECORDS, ids=[r.id for r in RECORDS])
def test_every_post_parses_with_sane_result(record: Labelled) -> None:
    result = parse(record.text)
    assert 0.0 <= result.confidence <= 1.0
    for start, end in result.spans.values():
        assert 0 <= start <= end <= len(record.text)
