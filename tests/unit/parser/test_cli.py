"""``run_parse``: one post as pretty JSON, JSONL in and out, bad lines, exact numbers."""

from __future__ import annotations

import io
import json

from services.signal_parser import parse
from services.signal_parser.cli import dumps, run_parse, to_output_dict

POST = "ARB/USDT LONG\nEntry: 1.0450 - 1.0500\nTP1: 1.0900\nTP2: 1.1500\nSL: 0.9900\nLev 5x"
KEYS = [
    "id",
    "kind",
    "base",
    "quote",
    "side",
    "market",
    "entry",
    "targets",
    "stop_loss",
    "leverage",
    "update",
    "confidence",
    "parser",
]


async def test_single_post_pretty_json_with_spans() -> None:
    out = io.StringIO()
    code = await run_parse(io.StringIO(POST), out, jsonl=False, ai=None)
    assert code == 0
    text = out.getvalue()
    data = json.loads(text)
    assert data["kind"] == "entry"
    assert data["spans"]["base"] == [0, 3]
    assert '"entry": [1.0450, 1.0500]' in text  # written from the Decimal, not via float


async def test_jsonl_one_line_per_input_and_bad_lines() -> None:
    lines = [
        json.dumps({"id": 1, "text": POST}),
        "{not json",
        json.dumps({"id": "x", "text": 5}),
        json.dumps({"id": "u", "text": "#BTC/USDT Take-Profit target 2 ✅"}),
        "",
    ]
    out = io.StringIO()
    code = await run_parse(io.StringIO("\n".join(lines)), out, jsonl=True, ai=None)
    rows = out.getvalue().splitlines()
    assert len(rows) == 4
    assert code == 1
    first = json.loads(rows[0])
    assert list(first) == KEYS
    assert first["targets"] == [1.09, 1.15] and '"targets":[1.0900,1.1500]' in rows[0]
    assert first["entry"] == [1.045, 1.05] and first["stop_loss"] == 0.99
    assert first["leverage"] == 5
    assert "error" in json.loads(rows[1])
    assert json.loads(rows[2])["id"] == "x" and "error" in json.loads(rows[2])
    update = json.loads(rows[3])
    assert update["kind"] == "update"
    assert update["update"] == {"type": "tp_hit", "target_index": 2}
    assert update["entry"] is None and update["targets"] == []


def test_to_output_dict_market_entry_and_nulls() -> None:
    record = to_output_dict(parse("#DOGE/USDT Long\nEntry: CMP\nTP: 0.09\nSL: 0.07"), id=7)
    assert record["id"] == 7 and record["entry"] == "market" and record["quote"] == "USDT"
    assert json.loads(dumps(record))["entry"] == "market"


def test_dumps_keeps_trailing_zeros() -> None:
    from decimal import Decimal

    assert dumps({"a": Decimal("0.0450"), "b": [Decimal("1E-7")]}) == '{"a":0.0450,"b":[1E-7]}'
