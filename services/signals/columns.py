"""How a parse becomes signal columns: the levels, where each card field came from, the hash.

Targets are stored as decimal strings in written order (the column is JSON), at most
``MAX_TARGETS`` of them: the first ones written are kept and ``fields_meta["targets_dropped"]``
counts the rest, so a post listing hundreds of prices is a signal every card, plan and message
can carry (the card says how many were dropped). An entry zone is stored as its low and high
ends; a market entry has neither. The same mapping serves a new
post and a channel edit of it, so an edit can never set a column a new post could not.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Final, TypedDict

from core.db.models import Signal
from core.domain import Market, Side, SignalKind
from services.signal_dto import FieldOrigin
from services.signal_parser import ParseResult

MAX_TARGETS: Final = 20


class ParsedColumns(TypedDict):
    """The ``Signal`` columns a parse sets."""

    base: str | None
    quote: str | None
    side: Side | None
    market: Market | None
    entry_low: Decimal | None
    entry_high: Decimal | None
    entry_is_market: bool
    targets: list[str]
    stop_loss: Decimal | None
    leverage: Decimal | None
    confidence: float
    parser: str
    kind: SignalKind


def sha256(text: str) -> str:
    """The hex digest stored next to a post's text (lone surrogates kept, never an error)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def parsed_columns(result: ParseResult) -> ParsedColumns:
    """The column values of ``result``."""
    entry = result.entry
    low = high = None
    if isinstance(entry, tuple) and entry:
        low, high = min(entry), max(entry)
    return {
        "base": result.base,
        "quote": result.quote,
        "side": result.side,
        "market": result.market,
        "entry_low": low,
        "entry_high": high,
        "entry_is_market": entry == "market",
        "targets": [str(t) for t in result.targets[:MAX_TARGETS]],
        "stop_loss": result.stop_loss,
        "leverage": result.leverage,
        "confidence": float(result.confidence),
        "parser": result.parser,
        "kind": result.kind,
    }


def new_signal_row(
    result: ParseResult, text: str, chat_id: int, message_id: int, now: datetime
) -> dict[str, object]:
    """The columns every new signal row has: the parse, the post it came from, fresh counters
    (callers add whose it is and its status)."""
    return {
        **parsed_columns(result),
        "chat_id": chat_id,
        "message_id": message_id,
        "raw_text": text,
        "text_sha256": sha256(text),
        "first_seen_at": now,
        "fields_meta": fields_meta(result),
        "targets_hit": 0,
        "edit_count": 0,
    }


def fields_meta(result: ParseResult) -> dict[str, object]:
    """What the card says about the fields: their origins, and the targets dropped (if any)."""
    meta: dict[str, object] = {"origins": field_origins(result)}
    if result.inferred:  # worked out from the other fields (a side from targets and stop)
        meta["inferred"] = sorted(result.inferred)
    if len(result.targets) > MAX_TARGETS:
        meta["targets_dropped"] = len(result.targets) - MAX_TARGETS
    return meta


def field_origins(result: ParseResult) -> dict[str, str]:
    """Where each card field came from: found in the text, inferred, or missing (absent)."""
    present = {
        "pair": result.base is not None,
        "side": result.side is not None,
        "market": result.market is not None,
        "entry": result.entry is not None,
        "targets": bool(result.targets),
        "stop_loss": result.stop_loss is not None,
        "leverage": result.leverage is not None,
    }
    span_of = {"pair": "base", "entry": "entry"}
    out: dict[str, str] = {}
    for name, is_present in present.items():
        if is_present:
            found = span_of.get(name, name) in result.spans
            out[name] = (FieldOrigin.TEXT if found else FieldOrigin.INFERRED).value
    return out


def take_levels(signal: Signal, result: ParseResult) -> None:
    """Overwrite ``signal``'s levels (not its kind, status or counters) with a new parse."""
    values = parsed_columns(result)
    signal.base = values["base"]
    signal.quote = values["quote"]
    signal.side = values["side"]
    signal.market = values["market"]
    signal.entry_low = values["entry_low"]
    signal.entry_high = values["entry_high"]
    signal.entry_is_market = values["entry_is_market"]
    signal.targets = values["targets"]
    signal.stop_loss = values["stop_loss"]
    signal.leverage = values["leverage"]
    signal.confidence = values["confidence"]
    signal.parser = values["parser"]
    # the post's own stop again: a stop an update moved is replaced by the edit's
    replaced = {"targets_dropped", "stop_moved", "inferred"}
    kept = {k: v for k, v in (signal.fields_meta or {}).items() if k not in replaced}
    signal.fields_meta = {**kept, **fields_meta(result)}
