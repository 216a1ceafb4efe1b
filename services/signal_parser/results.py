"""From what the steps of a parse found (``Reading``) to the ``ParseResult``: spans mapped back
to the original text, entry value, and confidence.

Owns the confidence rules: an entry gains for each field found and loses when its levels
contradict each other (``sanity_penalty``) or when it also reads like an update; an update is
surer when a strong pattern said so; "other" is less sure when the post has trade-like parts.
Confidence is rounded to 3 places and kept in 0..1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from core.domain import Market, Side, SignalKind, UpdateType
from services.signal_parser.levels import Levels
from services.signal_parser.model import (
    MARKET_ENTRY,
    EntryValue,
    ParseResult,
    UpdateInfo,
    rules_result,
)
from services.signal_parser.normalize import NUMBER_RE, Normalized
from services.signal_parser.pairs import Pair
from services.signal_parser.sides import SideVote
from services.signal_parser.updates import UPDATE_ORDER, Update, move_level

_TICKER_RE: Final = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]{1,9}(?![A-Za-z0-9])")

Spans = dict[str, tuple[int, int]]
# one thing that does not fit takes a full signal (1.0) below the threshold (0.6)
MISFIT: Final = 0.45
# the most a reading with an inferred side, or with neither targets nor stop, can score
WEAK_CAP: Final = 0.55
# Decimal operands made once: an int operand is converted to a Decimal at every operation
_ZERO: Final = Decimal(0)
_TEN: Final = Decimal(10)


@dataclass(slots=True)
class Reading:
    """Everything the steps of a parse found in one post."""

    n: Normalized
    pair: Pair | None
    side: SideVote
    levels: Levels
    update: Update | None
    # fields read from the others, not from the text ("side" from the levels)
    inferred: frozenset[str] = frozenset()

    @property
    def n_fields(self) -> int:
        """How many of side, entry, targets and stop the post gives."""
        lv = self.levels
        return sum(
            (self.side.side is not None, lv.has_entry, bool(lv.targets), lv.stop is not None)
        )


def other_result(r: Reading) -> ParseResult:
    """Not a signal: surer when nothing in it looks like a trade."""
    has_stuff = (
        r.pair is not None
        or bool(r.levels.targets)
        or r.side.side is not None
        or (_TICKER_RE.search(r.n.text) is not None and len(NUMBER_RE.findall(r.n.lower)) >= 2)
    )
    return ParseResult(kind=SignalKind.OTHER, confidence=0.45 if has_stuff else 0.9)


def update_result(
    r: Reading, market: Market | None, market_span: tuple[int, int] | None
) -> ParseResult:
    """A follow-up post; with the new stop of a "move SL" and the targets of a correction."""
    update, lv, n = r.update, r.levels, r.n
    assert update is not None
    spans = _common_spans(r, market_span)
    spans["update"] = n.span(update.start, update.end)
    stop = None
    if UpdateType.MOVE_SL in update.all_types:
        lvl = move_level(n)
        if lvl is not None:
            stop = lvl.value
            spans["stop_loss"] = n.span(lvl.start, lvl.end)
    targets: tuple[Decimal, ...] = ()
    if update.type is UpdateType.OTHER and lv.targets:
        targets = tuple(x.value for x in lv.targets)
        spans["targets"] = n.span(lv.targets[0].start, lv.targets[-1].end)
    conf = 0.9 if update.strong else 0.75
    if update.type is UpdateType.SL_HIT and not update.strong:
        conf = 0.65
    if r.pair is None and lv.complete:
        conf = 0.55  # a whole signal with no coin named: a plan that talks of TPs, or a report
    if update.type is UpdateType.TP_HIT and not update.strong:
        conf = 0.55  # "2🎯" alone: a target hit most likely, for the owner to confirm
    return rules_result(
        SignalKind.UPDATE,
        r.pair.base if r.pair else None,
        r.pair.quote if r.pair else None,
        r.side.side,
        market,
        None,
        targets,
        stop,
        None,
        UpdateInfo(
            update.type,
            update.index,
            also=tuple(t for t in UPDATE_ORDER if t in update.all_types and t is not update.type),
            all_targets=update.all_targets,
        ),
        conf,
        spans,
        frozenset(),
    )


def entry_result(
    r: Reading, market: Market | None, market_span: tuple[int, int] | None
) -> ParseResult:
    """A new signal; an entry with a market word and no price is at market."""
    lv, n = r.levels, r.n
    spans = _common_spans(r, market_span)
    entry = _entry_value(n, lv, spans)
    if lv.targets:
        spans["targets"] = n.span(lv.targets[0].start, lv.targets[-1].end)
    if lv.stop is not None:
        spans["stop_loss"] = n.span(lv.stop.start, lv.stop.end)
    if lv.leverage is not None:
        spans["leverage"] = n.span(lv.leverage.start, lv.leverage.end)
    return rules_result(
        SignalKind.ENTRY,
        r.pair.base if r.pair else None,
        r.pair.quote if r.pair else None,
        r.side.side,
        market,
        entry,
        # a post that repeats its targets (a summary after the plan) lists each once
        tuple(dict.fromkeys(x.value for x in lv.targets)),
        lv.stop.value if lv.stop else None,
        lv.leverage.value if lv.leverage else None,
        None,
        _entry_confidence(r),
        spans,
        r.inferred,
    )


def _common_spans(r: Reading, market_span: tuple[int, int] | None) -> Spans:
    n = r.n
    spans: Spans = {}
    if r.pair is not None:
        spans["base"] = n.span(r.pair.start, r.pair.end)
        if r.pair.quote_span is not None:
            spans["quote"] = n.span(*r.pair.quote_span)
    if r.side.span is not None:
        spans["side"] = n.span(*r.side.span)
    if market_span is not None:
        spans["market"] = n.span(*market_span)
    return spans


def _entry_value(n: Normalized, lv: Levels, spans: Spans) -> EntryValue:
    """ "market", one price, the (low, high) of an entry zone, or None when the post gives
    neither a price nor a market word; records the entry span."""
    if lv.entry_market is not None:
        spans["entry"] = n.span(*lv.entry_market)
        return MARKET_ENTRY
    if not lv.entry:
        return None  # no price and no market word: the post does not say (a guess is not read)
    vals = [x.value for x in lv.entry]
    spans["entry"] = n.span(lv.entry[0].start, lv.entry[-1].end)
    lo, hi = min(vals), max(vals)
    return (vals[0],) if lo == hi else (lo, hi)  # "182.66 - 182.66" is one price


def _entry_confidence(r: Reading) -> float:
    """Earned: 1 for a complete, consistent signal read by strong rules; less for each field
    missing or read by a weak rule, and below the threshold for levels that do not fit
    together, a side inferred from them, a guessed market entry, targets the labels promise
    but the post does not give, and a signal with neither targets nor stop."""
    lv, side = r.levels, r.side
    conf = 1.0
    conf -= 0.0 if r.pair is not None else 0.5
    conf -= 0.0 if side.side is not None else MISFIT
    if side.side is not None and side.margin == 0 and r.n_fields < 4:
        conf -= 0.05  # a side decided by a tie
    if not lv.has_entry:
        conf -= MISFIT  # no entry and no market word: "market" is a guess
    elif lv.entry_weak:
        conf -= 0.1
    conf -= 0.0 if lv.targets else 0.2
    conf -= 0.0 if lv.stop is not None else 0.15
    if (lv.target_labelled and not lv.targets) or (lv.stop_labelled and lv.stop is None):
        conf -= 0.2  # a label whose value was not read
    if lv.targets and lv.numbered > len(lv.targets):
        conf -= MISFIT  # "TP3: 45000" and no TP1, TP2: targets were lost
    conf -= sanity_penalty(
        side.side,
        [x.value for x in lv.entry],
        [x.value for x in lv.targets],
        lv.stop.value if lv.stop else None,
    )
    if r.update is not None:
        conf -= 0.1
    if r.inferred or (not lv.targets and lv.stop is None):
        conf = min(conf, WEAK_CAP)  # an inferred side; a bare "BTC long 88000"
    return max(0.0, min(1.0, round(conf, 3)))


def sanity_penalty(
    side: Side | None, entry: list[Decimal], targets: list[Decimal], stop: Decimal | None
) -> float:
    """How much the levels contradict each other (0 = consistent); any contradiction takes a
    full signal below the threshold."""
    levels = [*entry, *targets] + ([stop] if stop is not None else [])
    penalty = _magnitude_penalty(levels)
    if side is None:
        return penalty
    long = side is Side.LONG
    if entry:
        lo, hi = min(entry), max(entry)
        if stop is not None and ((long and stop >= lo) or (not long and stop <= hi)):
            penalty += MISFIT  # the stop is on the wrong side of the entry
        if any((long and t <= lo) or (not long and t >= hi) for t in targets):
            penalty += MISFIT  # a target on the wrong side of the entry
    elif (
        stop is not None
        and targets
        and ((long and min(targets) <= stop) or (not long and max(targets) >= stop))
    ):
        penalty += MISFIT
    return penalty


def _magnitude_penalty(levels: list[Decimal]) -> float:
    """Levels that are not positive, or a level 10x off the median of the others."""
    penalty = 0.0
    positive = [x for x in levels if x > _ZERO]
    if len(positive) != len(levels):
        penalty += MISFIT
    if len(positive) >= 2:
        ordered = sorted(positive)
        median = ordered[len(ordered) // 2]
        top = median * _TEN  # once, not per level (a Decimal product each)
        for x in positive:
            if x > top or x * _TEN < median:
                penalty += MISFIT
                break
    return penalty
