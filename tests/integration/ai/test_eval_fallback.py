"""``tsbot parse --eval`` with the AI fallback on the fake OpenAI server: which posts go to the
model, what it fixed, what it made wrong, and answers the post does not back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI

from bot.__main__ import main
from core.domain import SignalKind
from services.signal_parser.ai import AIParser
from services.signal_parser.evaluate import load_labels, score, summarise
from services.signal_parser.model import ParseResult
from tests.fakes.openai_api import FakeOpenAI

WEAK = "ONDO\n想法：0.95 上车 / 1.05 和 1.12 下车 / 0.90 认错"
ONDO_LABEL: dict[str, Any] = {
    "kind": "entry",
    "base": "ONDO",
    "quote": None,
    "side": "long",
    "market": None,
    "entry": [0.95],
    "targets": [1.05, 1.12],
    "stop_loss": 0.90,
    "leverage": None,
    "update": None,
    "ambiguous": False,
}
ADVERT = "VIP group: 3 signals a day, 90% accuracy, join now"
OTHER_LABEL: dict[str, Any] = {**ONDO_LABEL, "kind": "other", "base": None, "side": None}
OTHER_LABEL.update({"entry": None, "targets": [], "stop_loss": None})


def answer(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "entry",
        "base": "ONDO",
        "quote": None,
        "side": "long",
        "market": None,
        "entry_market": False,
        "entry": ["0.95"],
        "targets": ["1.05", "1.12"],
        "stop_loss": "0.90",
        "leverage": None,
        "update_type": None,
        "target_index": None,
    }
    base.update(overrides)
    return base


def write(tmp_path: Path, rows: list[tuple[str, str, dict[str, Any]]]) -> Path:
    path = tmp_path / "labels.jsonl"
    lines = [
        json.dumps({"id": i, "source": "test", "text": t, "label": lab}) for i, t, lab in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def unsure(text: str) -> ParseResult:
    """A rules reading that finds nothing, at low confidence: every post goes to the model."""
    return ParseResult(kind=SignalKind.OTHER, confidence=0.3)


async def test_model_fixes_backed_answers_and_is_counted(
    tmp_path: Path, openai_api: FakeOpenAI, openai_client: AsyncOpenAI
) -> None:
    posts = load_labels(
        write(
            tmp_path,
            [
                ("ondo", WEAK, ONDO_LABEL),
                ("advert", ADVERT, OTHER_LABEL),
                ("again", WEAK + " ", ONDO_LABEL),
            ],
        )
    )
    openai_api.answer(answer())  # right and backed by the post: fixed
    openai_api.answer(
        answer(kind="other", base=None, side=None, entry=[], targets=[], stop_loss=None)
    )
    openai_api.answer(answer(stop_loss="0.85"))  # 0.85 is not in the post: rejected, rules kept
    ai = AIParser(openai_client, "gpt-test", timeout=5.0)
    scored = await score(posts, unsure, improve=ai.improve, threshold=0.6)
    report = summarise(scored, 0.6)
    assert len(openai_api.requests) == 3
    assert openai_api.requests[0]["response_format"]["type"] == "json_schema"
    assert report.sent_to_model == 3
    assert report.fixed_by_model == 1 and report.broken_by_model == 0
    assert [s.result.parser for s in scored] == ["ai", "ai", "rules"]
    assert (report.entries_right.hit, report.entries_right.of) == (1, 2)


async def test_confident_readings_are_not_sent(
    tmp_path: Path, openai_api: FakeOpenAI, openai_client: AsyncOpenAI
) -> None:
    def sure(text: str) -> ParseResult:
        return ParseResult(kind=SignalKind.OTHER, confidence=0.9)

    posts = load_labels(write(tmp_path, [("advert", ADVERT, OTHER_LABEL)]))
    ai = AIParser(openai_client, "gpt-test", timeout=5.0)
    report = summarise(await score(posts, sure, improve=ai.improve, threshold=0.6), 0.6)
    assert openai_api.requests == [] and report.sent_to_model == 0


async def test_cli_eval_reports_what_the_model_was_sent(
    tmp_path: Path,
    openai_api: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tsbot parse --eval` with OPENAI_BASE_URL set: every post under the threshold is asked."""
    path = write(tmp_path, [("ondo", WEAK, ONDO_LABEL), ("advert", ADVERT, OTHER_LABEL)])
    for _ in range(2):
        openai_api.answer(answer())
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.base_url)
    monkeypatch.setenv("PARSER_CONFIDENCE_THRESHOLD", "1.0")
    argv = ["--env-file", "/dev/null", "parse", "--eval", str(path), "--show", "5"]
    code = await asyncio.to_thread(main, argv)  # the CLI runs its own event loop
    out = capsys.readouterr().out
    assert code == 0, out
    sent = len(openai_api.requests)
    assert sent >= 1
    assert f"model: {sent} posts sent" in out


def test_model_numbers_are_read_like_the_posts() -> None:
    """A decimal comma in the answer is the post's number; a number the post lacks is refused."""
    from decimal import Decimal

    from services.llm import AnswerRejected
    from services.signal_parser.ai import AISignal, to_result

    post = "ONDO long\nentry 0,95\ntp 1,05\nsl 0,90"
    ok = to_result(AISignal(**answer(entry=["0,95"], targets=["1.05"], stop_loss="0,90")), post)
    assert ok.entry == (Decimal("0.95"),) and ok.stop_loss == Decimal("0.90")
    with pytest.raises(AnswerRejected):
        to_result(AISignal(**answer(entry=["95"])), post)
    with pytest.raises(AnswerRejected):
        to_result(AISignal(**answer(entry=["0.95 or 0.96"])), post)
