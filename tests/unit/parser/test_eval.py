"""``tsbot parse --eval``: the comparer, the figures, the misses list and the exit status."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from core.domain import SignalKind
from services.signal_parser import parse
from services.signal_parser.evaluate import (
    Labelled,
    compare,
    load_labels,
    run_eval,
    score,
    summarise,
)
from services.signal_parser.model import ParseResult

ENTRY = "ARB/USDT LONG\nEntry: 1.0450 - 1.0500\nTP1: 1.0900\nTP2: 1.1500\nSL: 0.9900\nLev 5x"
ENTRY_LABEL: dict[str, Any] = {
    "kind": "entry",
    "base": "ARB",
    "quote": "USDT",
    "side": "long",
    "market": "futures",
    "entry": [1.045, 1.05],
    "targets": [1.09, 1.15],
    "stop_loss": 0.99,
    "leverage": 5,
    "update": None,
    "ambiguous": False,
}
UPDATE = "#BTC/USDT Take-Profit target 2 ✅"
UPDATE_LABEL: dict[str, Any] = {
    **{k: None for k in ENTRY_LABEL},
    "kind": "update",
    "base": "BTC",
    "quote": "USDT",
    "targets": [],
    "update": {"type": "tp_hit", "target_index": 2},
    "ambiguous": False,
}
ADVERT = "Join our VIP channel today, 50% off!"
OTHER_LABEL: dict[str, Any] = {**UPDATE_LABEL, "kind": "other", "base": None, "update": None}


def write(tmp_path: Path, rows: list[tuple[str, str, dict[str, Any]]]) -> Path:
    path = tmp_path / "labels.jsonl"
    lines = [
        json.dumps({"id": i, "source": "test", "text": t, "label": lab}) for i, t, lab in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_right_entry_has_no_misses() -> None:
    assert compare(parse(ENTRY), ENTRY_LABEL) == {}


def test_numbers_compare_by_value_and_float_noise_is_ignored() -> None:
    label = {**ENTRY_LABEL, "entry": [1.0450000000000001, Decimal("1.0500")]}
    assert compare(parse(ENTRY), label) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"side": "short"}, "side"),
        ({"targets": [1.09]}, "targets"),
        ({"targets": [1.15, 1.09]}, "targets"),
        ({"entry": "market"}, "entry"),
        ({"stop_loss": None}, "stop_loss"),
        ({"quote": None}, "quote"),
    ],
    ids=["side", "fewer-targets", "target-order", "market-entry", "no-stop", "no-quote"],
)
def test_each_differing_field_is_named(change: dict[str, Any], field: str) -> None:
    assert set(compare(parse(ENTRY), {**ENTRY_LABEL, **change})) == {field}


def test_update_compares_type_target_and_coin_only() -> None:
    assert compare(parse(UPDATE), UPDATE_LABEL) == {}
    wrong = {**UPDATE_LABEL, "update": {"type": "sl_hit", "target_index": None}}
    assert set(compare(parse(UPDATE), wrong)) == {"update_type", "target_index"}


async def test_figures_false_entry_and_bands(tmp_path: Path) -> None:
    posts = load_labels(
        write(
            tmp_path,
            [
                ("e1", ENTRY, ENTRY_LABEL),
                ("e2", ENTRY, {**ENTRY_LABEL, "side": "short"}),
                ("e3", ENTRY, {**ENTRY_LABEL, "side": "short", "ambiguous": True}),
                ("u1", UPDATE, UPDATE_LABEL),
                ("o1", ADVERT, OTHER_LABEL),
                ("o2", ENTRY, OTHER_LABEL),  # an entry-looking advert: a false entry
            ],
        )
    )
    report = summarise(await score(posts, parse))
    assert (report.entries_right.hit, report.entries_right.of) == (1, 2)
    assert report.fields["side"].hit == 1 and report.fields["targets"].hit == 2
    assert (report.update_types.hit, report.update_types.of) == (1, 1)
    assert report.false_entries == 1
    assert report.ambiguous == 1 and report.posts == 6
    assert (report.kind_right.hit, report.kind_right.of) == (4, 5)
    confidence = parse(ENTRY).confidence
    band = next(b for b in report.bands if b.low <= confidence <= b.high)
    assert (band.right, band.wrong) == (1, 2)  # e2 and o2 are wrong readings, e1 right
    wrong_above = 2 if confidence >= 0.6 else 0
    assert report.wrong_below.of == 2 and report.wrong_below.hit == 2 - wrong_above
    assert report.wrong_above_of_entries.hit == wrong_above


async def test_model_is_asked_below_threshold_and_its_fixes_counted(tmp_path: Path) -> None:
    posts = load_labels(
        write(tmp_path, [("o1", ADVERT, OTHER_LABEL), ("u1", UPDATE, UPDATE_LABEL)])
    )
    asked: list[str] = []

    async def improve(text: str, rules: ParseResult) -> ParseResult:
        asked.append(text)
        return ParseResult(kind=SignalKind.ENTRY, base="X", confidence=0.8, parser="ai")

    scored = await score(posts, parse, improve=improve, threshold=1.01)
    report = summarise(scored, 1.01)
    assert asked == [ADVERT, UPDATE]
    assert report.sent_to_model == 2 and report.fixed_by_model == 0
    assert report.broken_by_model == 2 and report.false_entries == 2


async def test_model_failure_keeps_the_rules_reading(tmp_path: Path) -> None:
    posts = load_labels(write(tmp_path, [("u1", UPDATE, UPDATE_LABEL)]))

    async def improve(text: str, rules: ParseResult) -> ParseResult:
        raise TimeoutError

    [scored] = await score(posts, parse, improve=improve, threshold=1.01)
    assert scored.sent_to_model and scored.result.parser == "rules" and not scored.misses


async def test_run_eval_prints_misses_and_exits_under_min_exact(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [("good", ENTRY, ENTRY_LABEL), ("bad", ENTRY, {**ENTRY_LABEL, "stop_loss": 0.98})],
    )
    out = io.StringIO()
    assert await run_eval(path, out, parse=parse, show=5, min_exact=0.5) == 0
    text = out.getvalue()
    assert "entry posts fully right: 1/2 (50.0%)" in text
    assert "bad [entry" in text and "stop_loss: got 0.9900 want 0.98" in text
    assert await run_eval(path, io.StringIO(), parse=parse, min_exact=97) == 1


async def test_bad_label_file_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "text": "x", "label": {"kind": "entry"}}\n{oops\n', "utf-8")
    assert await run_eval(path, io.StringIO(), parse=parse) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_cli_eval_rules_only_on_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, [("good", ENTRY, ENTRY_LABEL), ("u", UPDATE, UPDATE_LABEL)])
    argv = ["--env-file", "/dev/null", "parse", "--eval", str(path), "--rules-only"]
    assert main([*argv, "--min-exact", "100"]) == 0
    assert "update types right: 1/1 (100.0%)" in capsys.readouterr().out


def test_loaded_records_keep_their_fields(tmp_path: Path) -> None:
    [record] = load_labels(write(tmp_path, [("e1", ENTRY, ENTRY_LABEL)]))
    assert isinstance(record, Labelled) and record.kind == "entry" and not record.ambiguous
    assert record.label["targets"] == [Decimal("1.09"), Decimal("1.15")]
