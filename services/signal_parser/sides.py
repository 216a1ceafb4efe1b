"""Which way and where a post trades: the side vote (long or short) and the market.

Owns the side and market keyword tables. The side is a vote: long/short words weigh more than
buy/sell, words negated by a nearby "not"-word do not count, and a "Sell:" label after a buy
side is a target, not a side. Futures win over spot when leverage is set or futures is named
first. Offsets are into the normalised text.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from core.domain import Market, Side
from services.signal_parser import lexicon as lx
from services.signal_parser.keywords import Scanner

SIDES: Final = Scanner(
    {w: "long" for w, _ in lx.LONG_WORDS} | {w: "short" for w, _ in lx.SHORT_WORDS}
)
ZH_SIDE_RE: Final = re.compile(r"[多空](?![頭头少空间間倉仓])")
ZH_SIDE_BEFORE: Final = re.compile(r"(?:[0-9a-z\s:;)\]]|附近|位)$")
SIDE_WEIGHT: Final = {w: n for w, n in lx.LONG_WORDS + lx.SHORT_WORDS}
SIDE_NOT: Final = Scanner(dict.fromkeys(lx.SIDE_NOT, "not"))
MARKETS: Final = Scanner(
    dict.fromkeys(lx.FUTURES_WORDS, "futures") | dict.fromkeys(lx.SPOT_WORDS, "spot")
)
_LABEL_COLON_RE: Final = re.compile(r"\s*[:：]")


class SideVote(NamedTuple):
    """The side the post takes, the span of the word that decided it, and by how much it won
    (0: a tie, decided by the first side word)."""

    side: Side | None
    span: tuple[int, int] | None
    margin: int


# (side, weight, start, end, word); a plain tuple: a post has several and this is a hot path
_SideWord = tuple[Side, int, int, int, str]


NO_SIDE: Final = SideVote(None, None, 0)
# ``SideVote(side, span, margin)`` without the named tuple's Python ``__new__`` (the same object)
_new_vote: Final = tuple.__new__


def find_side(low: str, entry_at: int = -1) -> SideVote:
    """Vote over the side words of the lower-cased post. When the post names both sides, the
    words on the line of the entry label (starting at ``entry_at``: "Entry Zone (Buy Area)"),
    else on the line above it ("Trade Setup (Short-Term Bearish Bias):"), decide when they
    agree: an analysis around a plan often names the other side ("short positions being
    liquidated")."""
    hits = _side_words(low)
    if not hits:
        return NO_SIDE
    # the words that cancel a side word are looked for only when there is a side word
    blocked = [(h.start, h.end) for h in SIDE_NOT.finditer(low)]
    counted = (
        [h for h in hits if not any(bs <= h[2] < be for bs, be in blocked)] if blocked else hits
    )
    if entry_at >= 0 and len({h[0] for h in counted}) == 2:
        above, line, end = side_focus(low, entry_at)
        for lo, hi in ((line, end), (above, line)):
            near = _vote([h for h in counted if lo <= h[2] < hi], low)
            if near.side is not None and near.margin > 0:
                return near
    return _vote(counted, low)


def _vote(hits: list[_SideWord], low: str) -> SideVote:
    long_votes = short_votes = 0
    first_long: tuple[int, int] | None = None
    first_short: tuple[int, int] | None = None
    long_first = False  # which side's first word was counted first (ties of equal offsets)
    for side, weight, s, e, word in hits:
        if side is Side.LONG:
            long_votes += weight
            if first_long is None:
                first_long = (s, e)
                long_first = first_short is None
            continue
        if word == "sell" and long_votes and _is_label(low, e):
            continue  # "Buy zone ... Sell: x" - a target label, not a side
        short_votes += weight
        if first_short is None:
            first_short = (s, e)
    if long_votes == short_votes:
        if first_long is None and first_short is None:
            return NO_SIDE
        if first_short is None or (
            first_long is not None
            and (first_long[0], not long_first) < (first_short[0], long_first)
        ):
            return _new_vote(SideVote, (Side.LONG, first_long, 0))
        return _new_vote(SideVote, (Side.SHORT, first_short, 0))
    if long_votes > short_votes:
        return _new_vote(SideVote, (Side.LONG, first_long, long_votes - short_votes))
    return _new_vote(SideVote, (Side.SHORT, first_short, short_votes - long_votes))


def side_focus(low: str, entry_at: int) -> tuple[int, int, int]:
    """(start of the non-blank line above ``entry_at``'s line, start of that line, its end)."""
    end = low.find("\n", entry_at)
    line = low.rfind("\n", 0, entry_at) + 1
    above = line - 1
    while above > 0:
        prev = low.rfind("\n", 0, above)
        if low[prev + 1 : above].strip():
            above = prev + 1
            break
        above = prev
    return (max(above, 0), line, len(low) if end < 0 else end)


def _side_words(low: str) -> list[_SideWord]:
    """The side words in text order, with their weights; "多"/"空" only after a digit, a
    Latin letter, a space or "附近"/"位" ("ETH 3665附近多"), and not in "多头", "空间"..."""
    hits: list[_SideWord] = []
    for h in SIDES.finditer(low):
        side = Side.LONG if h.kind == "long" else Side.SHORT
        word = " ".join(h.word.split())
        hits.append((side, SIDE_WEIGHT.get(word, 1), h.start, h.end, word))
    if "多" in low or "空" in low:
        for m in ZH_SIDE_RE.finditer(low):
            s = m.start()
            if s > 0 and ZH_SIDE_BEFORE.search(low, max(0, s - 2), s):
                side = Side.LONG if m.group() == "多" else Side.SHORT
                hits.append((side, 2, s, m.end(), m.group()))
        hits.sort(key=lambda x: x[2])
    return hits


def _is_label(low: str, end: int) -> bool:
    """Whether the word ending at ``end`` is followed by a colon (a label, "Sell: 250")."""
    return bool(_LABEL_COLON_RE.match(low[end : end + 3]))


def find_market(
    low: str, leverage: bool, perp: bool
) -> tuple[Market | None, tuple[int, int] | None]:
    """Futures or spot and the span of the word that says so; leverage or a perpetual symbol
    alone mean futures (without a span)."""
    fut = spot = None
    for h in MARKETS.finditer(low):
        if h.kind == "futures" and fut is None:
            fut = (h.start, h.end)
        elif h.kind == "spot" and spot is None:
            spot = (h.start, h.end)
    if fut and (not spot or leverage or fut[0] < spot[0]):
        return Market.FUTURES, fut
    if spot:
        return Market.SPOT, spot
    if leverage or perp:
        return Market.FUTURES, None
    return None, None
