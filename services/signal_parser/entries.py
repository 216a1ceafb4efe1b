"""The entry where no entry label gives it, and the side where no side word gives it.

Owns the places an entry is written without an entry label, tried in this order: a market word
on the side line ("Sell (Instant Execution)", "BUY NOW"); the prices on the side line ("ETH
3665-3635附近多", "LONG : 0.027"), else on the first price-only line below it ("Buy NZDUSD" then
"0.7174"); the prices right after the pair on its line ("#SOL/USDT 124-126 tp 130"); the price
after "@". And ``infer_side``: a side read from the levels when targets and stop sit on
opposite sides of the entry. Invariants: a price already read as a target or the stop is never
also the entry; the pair's own digits are never a price.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from core.domain import Side
from services.signal_parser.labels import labels
from services.signal_parser.leads import led_pattern
from services.signal_parser.levels import MARKET_PRICE, SENTENCE_END_RE, Levels, field_values
from services.signal_parser.normalize import Normalized
from services.signal_parser.pairs import Pair
from services.signal_parser.prices import Num, line_end, line_start, numbers

_INSTANT_RE: Final = re.compile(
    r"instant\s+execution|market\s+(?:order|price|execution)|\bat\s+market\b|\bcmp\b|\bnow\b"
    r"|市價|市价|現價|现价|по\s+рынку|ordem\s+[àa]\s+mercado|orden\s+a\s+mercado"
)
INSTANT: Final = led_pattern(_INSTANT_RE, "acimnoп市现現")
_AT_PRICE_RE: Final = re.compile(r"@\s*\$?\s*")
# a line holding only prices (and the punctuation around them)
PRICE_LINE_RE: Final = re.compile(
    r"[^\w\n]*\$?\d[\d.,]*(?:[ \t]*[-–/_~][ \t]*\$?\d[\d.,]*)?[^\w\n]*"
)
# how far from the side word a market word may stand ("BUY NOW", "Sell (Instant Execution)");
# "... is now showing signs of weakness as selling volume rises" is commentary
NEAR_SIDE: Final = 24
# the longest first line that is a title
TITLE_CHARS: Final = 60
# how many lines below the side line a lone price may sit ("Sell" / "Nzdusd" / "0.7510")
LINES_BELOW: Final = 2


def settle_entry(
    n: Normalized,
    lv: Levels,
    side_span: tuple[int, int] | None,
    pair: Pair | None,
    work_end: int,
) -> None:
    """Fill ``lv``'s entry from where it is written without an entry label (see the module)."""
    low = n.lower
    if lv.entry and (
        (
            side_span is not None
            and INSTANT.fast.search(
                low,
                max(line_start(low, side_span[0]), side_span[0] - NEAR_SIDE),
                min(line_end(low, side_span[1]), side_span[1] + NEAR_SIDE),
            )
        )
        or (_title_end(low) is not None and INSTANT.fast.search(low, 0, line_end(low, 0)))
    ):
        # "Sell (Instant Execution)", a title "Ordem à Mercado": the price is a reference
        lv.entry_market = side_span or (0, 0)
        lv.entry = []
    if lv.has_entry:
        return  # most posts: the entry label gave it
    used = {x.start for x in lv.targets}
    if lv.stop is not None:
        used.add(lv.stop.start)
    if not lv.has_entry and side_span is not None:
        nums, mk = _side_line_entry(n, side_span, pair, work_end)
        lv.entry = [x for x in nums if x.start not in used]
        lv.entry_market = mk
        # a price on a line below the side word is a weaker reading than one beside it
        lv.entry_weak = bool(lv.entry) and n.lower.count("\n", side_span[1], lv.entry[0].start) > 0
    if not lv.has_entry and pair is not None and (lv.targets or lv.stop is not None):
        lv.entry = [x for x in _pair_line_entry(n, pair, work_end) if x.start not in used]
        lv.entry_weak = bool(lv.entry)
    if not lv.has_entry:
        at = _AT_PRICE_RE.search(low)
        if at:
            lv.entry = numbers(n, at.end(), min(len(low), at.end() + 20))[:1]
            lv.entry_weak = bool(lv.entry)


def _title_end(low: str) -> int | None:
    """The end of the post's first line when it is a title ("Ordem à Mercado"), not the
    first sentence of an analysis ("... and right now, that friend is looking bearish")."""
    end = line_end(low, 0)
    return end if end <= TITLE_CHARS else None


def _side_line_entry(
    n: Normalized, side_span: tuple[int, int], pair: Pair | None, work_end: int
) -> tuple[list[Num], tuple[int, int] | None]:
    """Entry written on the side line (in a paragraph, the side word's sentence), else on a
    price-only line just below it."""
    low = n.lower
    ls = line_start(low, side_span[0])
    for end in SENTENCE_END_RE.finditer(low, ls, side_span[0]):
        ls = end.end() - 1  # a paragraph: the side word's own sentence
    le = min(work_end, line_end(low, side_span[1]))
    for kind, s, _ in labels(low, side_span[1], le):
        if kind in ("target", "stop"):
            le = s
            break
    mk = MARKET_PRICE.search(low, ls, le)
    if mk:
        return [], (mk.start, mk.end)
    nums = field_values(
        low,
        [x for x in numbers(n, ls, le) if pair is None or not (pair.start <= x.start < pair.end)],
        le,
    )
    if nums or le < line_end(low, side_span[1]):
        return nums, None
    return _price_line_below(n, le, work_end), None  # weak: see ``settle_entry``


def _price_line_below(n: Normalized, pos: int, work_end: int) -> list[Num]:
    """The prices of the first price-only line among the next ``LINES_BELOW`` lines after
    ``pos``; a line with a label or with more than a word ends the search."""
    low = n.lower
    start = pos + 1
    for _ in range(LINES_BELOW):
        if start >= work_end:
            return []
        end = min(line_end(low, start), work_end)
        if PRICE_LINE_RE.fullmatch(low, start, end):
            return numbers(n, start, end)
        if labels(low, start, end) or len(low[start:end].split()) > 1:
            return []
        start = end + 1
    return []


def _pair_line_entry(n: Normalized, pair: Pair, work_end: int) -> list[Num]:
    """Prices right after the pair on its line, before any label: "#SOL/USDT 124-126 tp 130"."""
    low = n.lower
    after = pair.quote_span[1] if pair.quote_span is not None else pair.end
    le = min(work_end, line_end(low, after))
    found = labels(low, after, le)
    if found:
        le = found[0][1]
    return numbers(n, after, le)


def infer_side(entry: list[Num], targets: list[Num], stop: Num | None) -> Side | None:
    """Long when every target is above the entry and the stop below it, short for the
    reverse; None when the levels do not say (fewer than an entry, a target and a stop)."""
    if not entry or not targets or stop is None:
        return None
    lo = min(x.value for x in entry)
    hi = max(x.value for x in entry)
    tv: list[Decimal] = [x.value for x in targets]
    if all(t > hi for t in tv) and stop.value < lo:
        return Side.LONG
    if all(t < lo for t in tv) and stop.value > hi:
        return Side.SHORT
    return None
