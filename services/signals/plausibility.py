"""Whether an entry post fits the market: the check the parser cannot make (it has no price).

The parser already lowers its confidence for levels that do not fit each other (targets on
the wrong side of the entry, a stop on the wrong side, fewer targets than the numbering says).
This module adds the market: an entry whose price (the zone's edge nearest the market, or the
single price) is more than ``SIGNAL_ENTRY_FAR_PCT`` % from its pair's market price (the perp's
for a futures post, else the spot's) is most likely misread or mistyped, so its confidence is
lowered below the threshold and the post is held for its source owner, with the figures
("entry 64,000 is 27.6 % from the market 88,405").

Invariants: the price is the one the bot already has (the paper exchange's feed: replay,
static or a cached exchange ticker), read with a short timeout; no price (an unknown pair, a
feed error, the timeout, a market entry, the check off) changes nothing. A result is only ever
lowered, never raised, and a far entry always ends strictly below a positive threshold, lower
the farther it is. ``far_entry`` and ``lowered`` are pure; ``judge`` is the one step with I/O.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import structlog

from core.domain import Market, SignalKind
from core.errors import AppError
from services.signal_parser import ParseResult
from services.signals.context import SignalContext
from services.symbols import fmt_number

log = structlog.get_logger(__name__)

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class FarEntry:
    """An entry too far from the market: the entry price compared, the market price, the
    distance (% of the market price, unrounded) and the limit it broke."""

    entry: Decimal
    market: Decimal
    distance_pct: Decimal
    max_pct: Decimal

    def reason(self) -> str:
        """``entry 64,000 is 27.6 % from the market 88,405`` (for the owner's card)."""
        shown = self.distance_pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return (
            f"entry {fmt_number(self.entry)} is {fmt_number(shown)} % "
            f"from the market {fmt_number(self.market)}"
        )


def far_entry(entry: tuple[Decimal, ...], market: Decimal, max_pct: Decimal) -> FarEntry | None:
    """The entry's distance from ``market`` when it is more than ``max_pct`` %, else None.
    A zone is compared by its edge nearest the market (a market inside the zone: distance 0).
    ``max_pct`` 0, no prices or a market price that is not above 0: None (nothing known)."""
    if max_pct <= 0 or not entry or market <= 0:
        return None
    low, high = min(entry), max(entry)
    if low <= market <= high:
        return None
    edge = low if market < low else high
    distance = abs(edge - market) / market * _HUNDRED
    if distance <= max_pct:
        return None
    return FarEntry(entry=edge, market=market, distance_pct=distance, max_pct=max_pct)


def lowered(confidence: float, threshold: float, far: FarEntry) -> float:
    """The confidence a far entry keeps: at most the threshold scaled by ``max / distance``
    (always below 1), floored to the hundredth, so strictly below a positive threshold and
    lower the farther the entry is."""
    ratio = float(far.max_pct / far.distance_pct)
    return math.floor(min(confidence, threshold) * ratio * 100) / 100


def market_symbol(base: str, quote: str, market: Market | None) -> str:
    """The unified symbol whose price a post is compared to: the perp for a futures post."""
    return f"{base}/{quote}:{quote}" if market is Market.FUTURES else f"{base}/{quote}"


async def judge(ctx: SignalContext, result: ParseResult) -> tuple[ParseResult, str]:
    """``result`` with its confidence lowered when its entry is far from the market, and the
    reason ("" when nothing changed: not an entry, no entry price, no market price, near)."""
    entry = result.entry
    if result.kind is not SignalKind.ENTRY or not isinstance(entry, tuple) or not entry:
        return result, ""
    if ctx.prices is None or ctx.entry_far_pct <= 0 or result.base is None:
        return result, ""
    symbol = market_symbol(result.base, result.quote or ctx.default_quote, result.market)
    try:
        ticker = await asyncio.wait_for(ctx.prices.ticker(symbol), ctx.price_timeout_s)
    except (AppError, TimeoutError) as exc:  # no price known: the post is judged as before
        log.info("signal_price_unknown", symbol=symbol, error=type(exc).__name__)
        return result, ""
    far = far_entry(entry, ticker.last, ctx.entry_far_pct)
    if far is None:
        return result, ""
    confidence = lowered(result.confidence, ctx.threshold, far)
    log.info("signal_entry_far", symbol=symbol, reason=far.reason(), confidence=confidence)
    return dataclasses.replace(result, confidence=confidence), far.reason()
