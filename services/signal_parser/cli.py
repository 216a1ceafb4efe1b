"""``tsbot parse``: parse one post (pretty JSON) or a JSONL stream of posts (one line each)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from services.signal_parser.model import ParseResult

if TYPE_CHECKING:
    from services.signal_parser.ai import AIParser


def to_output_dict(result: ParseResult, id: Any = None) -> dict[str, Any]:  # noqa: A002
    """The ``tsbot parse`` record of ``result``: numbers stay ``Decimal`` (see ``dumps``)."""
    entry: Any = list(result.entry) if isinstance(result.entry, tuple) else result.entry
    out: dict[str, Any] = {}
    if id is not None:
        out["id"] = id
    out.update(
        {
            "kind": result.kind.value,
            "base": result.base,
            "quote": result.quote,
            "side": result.side.value if result.side else None,
            "market": result.market.value if result.market else None,
            "entry": entry,
            "targets": list(result.targets),
            "stop_loss": result.stop_loss,
            "leverage": result.leverage,
            "update": (
                {"type": result.update.type.value, "target_index": result.update.target_index}
                if result.update
                else None
            ),
            "confidence": result.confidence,
            "parser": result.parser,
        }
    )
    return out


def dumps(record: Any, *, pretty: bool = False) -> str:
    """JSON text of a record; Decimals are written exactly as stored (``0.0450`` stays)."""
    return _dump(record, 0 if pretty else None, 0)


def _dump(value: Any, indent: int | None, level: int) -> str:
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "null"
    if isinstance(value, dict):
        items = [
            f"{json.dumps(str(k), ensure_ascii=False)}:{'' if indent is None else ' '}"
            f"{_dump(v, indent, level + 1)}"
            for k, v in value.items()
        ]
        return _wrap("{", "}", items, indent, level)
    if isinstance(value, list | tuple):
        return _wrap("[", "]", [_dump(v, indent, level + 1) for v in value], indent, level)
    return json.dumps(value, ensure_ascii=False)


def _wrap(open_: str, close: str, items: list[str], indent: int | None, level: int) -> str:
    if not items:
        return open_ + close
    if indent is None or (open_ == "[" and level > 0):
        return open_ + (", " if indent is not None else ",").join(items) + close
    pad = "  " * (level + 1)
    return open_ + "\n" + ",\n".join(pad + i for i in items) + "\n" + "  " * level + close


async def _parse_one(text: str, ai: AIParser | None) -> ParseResult:
    if ai is None:
        from services.signal_parser import parse

        return parse(text)
    from services.signal_parser.ai import parse_with_fallback

    return await parse_with_fallback(text, ai)


async def run_parse(source: TextIO, out: TextIO, *, jsonl: bool, ai: AIParser | None) -> int:
    """Parse posts from ``source`` into ``out``; returns the exit code (0 ok, 1 bad input)."""
    if not jsonl:
        text = source.read()
        result = await _parse_one(text, ai)
        record = to_output_dict(result)
        record["spans"] = {k: list(v) for k, v in sorted(result.spans.items())}
        out.write(dumps(record, pretty=True) + "\n")
        return 0
    failures = 0
    for lineno, line in enumerate(source, start=1):
        if not line.strip():
            continue
        post_id: Any = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise TypeError("each line must be a JSON object")
            post_id = item.get("id")
            post = item.get("text")
            if not isinstance(post, str):
                raise TypeError('"text" must be a string')
            result = await _parse_one(post, ai)
            out.write(dumps({"id": post_id, **to_output_dict(result)}) + "\n")
        except (ValueError, TypeError) as exc:
            failures += 1
            out.write(dumps({"id": post_id, "line": lineno, "error": str(exc)}) + "\n")
    return 1 if failures else 0
