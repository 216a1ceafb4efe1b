"""Result types of the signal parser: plain frozen dataclasses, no behaviour beyond helpers."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Final, Literal

from core.domain import Market, Side, SignalKind, UpdateType

EntryValue = tuple[Decimal, ...] | Literal["market"] | None
ParserName = Literal["rules", "ai"]

MARKET_ENTRY: Final = "market"


@dataclass(frozen=True, slots=True)
class UpdateInfo:
    """What a follow-up post reports: the main event and, for a TP hit, which target.

    ``also`` lists the other events the same post reports ("TP1 hit, move SL to entry" is a
    TP hit with ``also=(MOVE_SL,)``); ``all_targets`` is set when the post says every target
    was hit ("all targets achieved").
    """

    type: UpdateType
    target_index: int | None = None
    also: tuple[UpdateType, ...] = ()
    all_targets: bool = False


@dataclass(frozen=True, slots=True)
class ParseResult:
    """One parsed post. Numbers are ``Decimal`` exactly as written (thousands separators removed).

    ``spans`` maps a field name (``base``, ``quote``, ``side``, ``market``, ``entry``, ``targets``,
    ``stop_loss``, ``leverage``, ``update``) to ``(start, end)`` offsets into the original text.
    ``inferred`` names the fields that were worked out from the others, not read.
    """

    kind: SignalKind
    base: str | None = None
    quote: str | None = None
    side: Side | None = None
    market: Market | None = None
    entry: EntryValue = None
    targets: tuple[Decimal, ...] = ()
    stop_loss: Decimal | None = None
    leverage: Decimal | None = None
    update: UpdateInfo | None = None
    confidence: float = 0.0
    parser: ParserName = "rules"
    spans: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, hash=False)
    # fields the parser worked out rather than read (``"side"`` from where targets and stop
    # sit): they have no span, and the card says they were inferred
    inferred: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def pair(self) -> str | None:
        """``BASE/QUOTE`` or just ``BASE`` when the quote is not written."""
        if self.base is None:
            return None
        return f"{self.base}/{self.quote}" if self.quote else self.base

    def numbers(self) -> tuple[Decimal, ...]:
        """Every price-like number the result carries (entry, targets, stop, leverage)."""
        out: list[Decimal] = []
        if isinstance(self.entry, tuple):
            out.extend(self.entry)
        out.extend(self.targets)
        if self.stop_loss is not None:
            out.append(self.stop_loss)
        if self.leverage is not None:
            out.append(self.leverage)
        return tuple(out)


OTHER: Final = ParseResult(kind=SignalKind.OTHER, confidence=0.0)

# ``ParseResult(...)`` sets each field with ``object.__setattr__`` (it is frozen); the rules
# build one per post, and setting the slots through their descriptors takes half the time
_NEW: Final = object.__new__
_FIELDS: Final = tuple(f.name for f in fields(ParseResult))
if _FIELDS != (
    "kind", "base", "quote", "side", "market", "entry", "targets", "stop_loss", "leverage",
    "update", "confidence", "parser", "spans", "inferred",
):  # fmt: skip
    raise RuntimeError("rules_result sets every field of ParseResult, in order: update it")
(
    _SET_KIND, _SET_BASE, _SET_QUOTE, _SET_SIDE, _SET_MARKET, _SET_ENTRY, _SET_TARGETS,
    _SET_STOP, _SET_LEVERAGE, _SET_UPDATE, _SET_CONFIDENCE, _SET_PARSER, _SET_SPANS,
    _SET_INFERRED,
) = (getattr(ParseResult, name).__set__ for name in _FIELDS)  # fmt: skip


def rules_result(
    kind: SignalKind,
    base: str | None,
    quote: str | None,
    side: Side | None,
    market: Market | None,
    entry: EntryValue,
    targets: tuple[Decimal, ...],
    stop_loss: Decimal | None,
    leverage: Decimal | None,
    update: UpdateInfo | None,
    confidence: float,
    spans: dict[str, tuple[int, int]],
    inferred: frozenset[str],
) -> ParseResult:
    """The ``ParseResult`` the constructor gives for these fields and ``parser="rules"``."""
    result: ParseResult = _NEW(ParseResult)
    _SET_KIND(result, kind)
    _SET_BASE(result, base)
    _SET_QUOTE(result, quote)
    _SET_SIDE(result, side)
    _SET_MARKET(result, market)
    _SET_ENTRY(result, entry)
    _SET_TARGETS(result, targets)
    _SET_STOP(result, stop_loss)
    _SET_LEVERAGE(result, leverage)
    _SET_UPDATE(result, update)
    _SET_CONFIDENCE(result, confidence)
    _SET_PARSER(result, "rules")
    _SET_SPANS(result, spans)
    _SET_INFERRED(result, inferred)
    return result
