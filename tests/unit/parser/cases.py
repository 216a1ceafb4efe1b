"""What the parser's table tests share: ``D`` for expected prices, and the check that a post
reads as an entry with the listed fields (through the CLI's output dictionary)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.domain import SignalKind
from services.signal_parser import ParseResult, parse
from services.signal_parser.cli import to_output_dict


def D(*values: str) -> list[Decimal]:  # noqa: N802 - reads like a literal
    return [Decimal(v) for v in values]


def assert_entry(text: str, want: dict[str, Any]) -> ParseResult:
    """``text`` reads as an entry whose fields named in ``want`` are exactly those values;
    returns the reading for further checks."""
    result = parse(text)
    assert result.kind is SignalKind.ENTRY, result
    got = to_output_dict(result)
    assert {k: got[k] for k in want} == want, got
    return result
