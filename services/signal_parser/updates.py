"""Follow-up posts: which event a post reports (take-profit hit, stop hit, cancel, fill, close,
stop moved...), which target it names, and the new stop level of a "move SL" post.

Owns how the update patterns (``update_patterns``, behind the ``update_gates``) are read:
conditional instructions ("after TP1 is hit, move SL") are not reports; "Entry target 2 ✅" is
not a take-profit; the highest target index named wins; short posts ("tp2", "stop") and profit
reports count as well. When several types are found the first of ``UPDATE_ORDER`` is the
update, and it is strong when any found pattern is strong or a profit is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from core.domain import UpdateType
from services.signal_parser.labels import labels
from services.signal_parser.leads import Led, led_pattern
from services.signal_parser.normalize import Normalized
from services.signal_parser.prices import Num, numbers
from services.signal_parser.update_gates import RARE_UPDATE_GATE, UPDATE_LOOP
from services.signal_parser.update_patterns import ORDINALS, tp_scan

UPDATE_ORDER: Final = (
    UpdateType.TP_HIT,
    UpdateType.SL_HIT,
    UpdateType.CANCEL,
    UpdateType.ENTRY_FILLED,
    UpdateType.PARTIAL_CLOSE,
    UpdateType.CLOSE,
    UpdateType.MOVE_SL,
    UpdateType.OTHER,
)
CONDITIONAL_RE: Final = re.compile(
    r"(?:\b(?:if|after|when|once|until|before|unless|если|после|когда|как\s+только"
    # a probability is no report either: "60-65% xác suất đạt ít nhất TP1", "chance to hit TP2"
    r"|xác\s+suất|probability\s+(?:of|to)|chances?\s+(?:of|to)|вероятност\w*)|如果|当|當)"
    r"[\s,]*(?:the\s+|our\s+)?$"
)
CONDITIONAL: Final = led_pattern(CONDITIONAL_RE, "abiouwекпxpcв如当當")
# a probability inside a report match: "vượt TP1: ≈ 40-45% xác suất đạt" is no report
PROBABILITY_RE: Final = re.compile(r"xác\s+suất|probabilit|chances?\b|вероятност|概率|機率")
PROFIT_TRIGGERS: Final = ("profit", "прибыль", "lucro", "ganancia", "www")
_PROFIT_WORD_FIRST: Final = r"profit\s*:?\s*\+?\d+(?:[.,]\d+)?\s*%"
# the one part led by a digit: it ends in "% profit", and starts in the run of digits, points,
# commas and spaces before that "%"
_PROFIT_NUMBER_FIRST: Final = r"\d+(?:[.,]\d+)?\s*%\s*profit"
_PROFIT_EN: Final = _PROFIT_WORD_FIRST + "|" + _PROFIT_NUMBER_FIRST
_PROFIT_OTHER: Final = r"прибыль\s*:?\s*\+?\d|lucro\s*:?\s*\+?\d|ganancia\s*:?\s*\+?\d|\bwww\b"
PROFIT_RE: Final = re.compile(_PROFIT_EN + "|" + _PROFIT_OTHER)
PROFIT: Final = led_pattern(PROFIT_RE, r"\dglpwп")
# for a post without "profit": its two English parts need that word and match nowhere, and the
# digit that leads one of them leaves the lead class
PROFIT_NO_EN: Final = led_pattern(re.compile(_PROFIT_OTHER), "glwп")
# ``PROFIT`` without its digit-led part: led by letters, so ``re`` does not stop at every digit
# of a results post (12 us on one); the digit-led part is searched from where it can start
PROFIT_NO_NUMBER_FIRST: Final = led_pattern(
    re.compile(_PROFIT_WORD_FIRST + "|" + _PROFIT_OTHER), "glpwп"
)
_PERCENT_PROFIT_RE: Final = re.compile(r"%\s*profit")
# "all targets achieved", "all take-profit targets hit", "все цели взяты", "全部目标": every target
ALL_TARGETS_RE: Final = re.compile(
    r"\ball\s+(?:take[- ]?profit\s+)?(?:targets|tps|take[- ]?profits)\b|все\s+(?:цели|тейки)"
    r"|全部(?:目標|目标|止盈)|所有(?:目標|目标)"
)
ALL_TARGETS: Final = led_pattern(ALL_TARGETS_RE, "aв全所")
TARGET_EMOJI_RE: Final = re.compile(r"(?<![\d.,])([1-9])\s*🎯")
SL_LEVEL_RE: Final = re.compile(r"[ \t]*(?:[a-z]{2,6}[ \t]*)?[-:]?[ \t]*\$?\d")
SIGNAL_CLOSED: Final = led_pattern(re.compile(r"(?:signal|trade|position)\s+closed\b"), "spt")
SL_WEAK_RE: Final = re.compile(r"^\W*(?:тут\s+|там\s+)?(?:стоп|stop|sl)\b")
SHORT_TP_RE: Final = re.compile(
    r"^\W*(?:已經?|已经|已)?(?:過|过|到|達|达|hit|reached)?\s*tp\s*(?P<idx>\d)(?!\d)"
)
MOVE_LEVEL_RE: Final = re.compile(
    r"(?:stop|sl|стоп|止[損损])[^\n\d%]{0,30}?(?:to|para|на|放在|移到|移至|at|@|:)\s*\$?\s*"
)


@dataclass(slots=True)
class Update:
    """The update a post reports: type, target index, whether a strong pattern said so, the
    span of the words, and every type found (a "move SL" may come with a take-profit)."""

    type: UpdateType
    index: int | None
    strong: bool
    start: int
    end: int
    all_types: set[UpdateType] = field(default_factory=set)
    all_targets: bool = False


# (target index, strong, start, end) of the report of one update type
_Found = tuple[int | None, bool, int, int]


def find_update(low: str) -> Update | None:
    """The update the lower-cased post reports, or None."""
    found = _reports(low)
    tp = found.get(UpdateType.TP_HIT)
    if tp is not None and tp[0] is None and UpdateType.CANCEL in found:  # no target index
        del found[UpdateType.TP_HIT]  # "Cancelled ❌ Target achieved before entering": a cancel
    if tp is not None and tp[0] is None and SIGNAL_CLOSED.fast.search(low) is not None:
        found.pop(UpdateType.TP_HIT)  # "Signal Closed ... 1/8 target hit": the close is the news
        found.setdefault(UpdateType.CLOSE, (None, True, tp[2], tp[3]))
    _add_short_reports(low, found)
    profit = _profit_span(low)
    if not found:
        if profit is not None:
            return Update(UpdateType.TP_HIT, None, True, *profit, {UpdateType.TP_HIT})
        return None
    utype = next(t for t in UPDATE_ORDER if t in found)
    idx, strong, s, e = found[utype]
    strong = strong or any(other for _, other, _, _ in found.values()) or profit is not None
    every = utype is UpdateType.TP_HIT and ALL_TARGETS.fast.search(low) is not None
    return Update(utype, idx, strong, s, e, set(found), every)


def _reports(low: str) -> dict[UpdateType, _Found]:
    """Per update type whose gate passes, its best report in the post."""
    found: dict[UpdateType, _Found] = {}
    rare = RARE_UPDATE_GATE.search(low) is not None
    for utype, strong, gate, rare_type, led in UPDATE_LOOP:
        if (rare_type and not rare) or not gate.search(low):
            continue
        scan = tp_scan(low) if utype is UpdateType.TP_HIT else led
        best = _best_report(low, scan, utype, strong)
        if best is not None:
            found[utype] = best
    return found


def _best_report(low: str, scan: Led, utype: UpdateType, strong: bool) -> _Found | None:
    """The first report ``scan`` finds; for take-profits the one naming the highest index."""
    best: _Found | None = None
    for s, e, m in scan.finditer(low):
        if CONDITIONAL.fast.search(low, max(0, s - 16), s) or PROBABILITY_RE.search(low, s, e):
            continue  # "after TP1 is hit, move SL": an instruction, not a report
        if utype is UpdateType.TP_HIT and low[max(0, s - 7) : s].rstrip().endswith(
            ("entry", "stop")
        ):
            continue  # "Entry target 2 ✅", "Stop Target Hit": not a take-profit
        idx = _index_of(m)
        if best is None or (idx is not None and (best[0] is None or idx > best[0])):
            best = (idx, strong, s, e)
        if utype is not UpdateType.TP_HIT:
            break
    return best


def _add_short_reports(low: str, found: dict[UpdateType, _Found]) -> None:
    """A short post that is just "tp2" / "已到tp1" (a take-profit), or "stop" (a weak stop hit
    when nothing else is found and no level label follows)."""
    stripped = low.strip()
    if len(stripped) <= 40:
        m = SHORT_TP_RE.match(stripped)
        if m and UpdateType.TP_HIT not in found:
            off = low.find(stripped)
            found[UpdateType.TP_HIT] = (int(m.group("idx")), True, off + m.start(), off + m.end())
    if len(stripped) <= 40 and UpdateType.TP_HIT not in found:
        m = TARGET_EMOJI_RE.search(stripped)  # "2🎯", "Sol 1🎯": target 2, target 1
        if m:
            off = low.find(stripped)
            found[UpdateType.TP_HIT] = (int(m.group(1)), False, off + m.start(), off + m.end())
    if len(stripped) <= 100:
        m = SL_WEAK_RE.match(low)
        if m and not found and SL_LEVEL_RE.match(low, m.end()):
            # "Sl 74", "Sl btc - 64300": a reply giving the new stop, not a hit
            found[UpdateType.MOVE_SL] = (None, False, m.start(), m.end())
        elif m and not found and not labels(low, m.end(), len(low)):
            found[UpdateType.SL_HIT] = (None, False, m.start(), m.end())


def _profit_match(low: str) -> re.Match[str] | None:
    """``PROFIT.fast.search(low)``: the parts led by a letter searched over the text, the one
    led by a digit only from the run of digits, points, commas and spaces before the first
    "% profit" (every match of it starts there or after it)."""
    percent = _PERCENT_PROFIT_RE.search(low)
    if percent is None:
        return PROFIT_NO_NUMBER_FIRST.fast.search(low)
    run = percent.start()
    while run > 0 and (low[run - 1] in ".," or low[run - 1].isdecimal() or low[run - 1].isspace()):
        run -= 1
    m = PROFIT_NO_NUMBER_FIRST.fast.search(low, 0, len(low))
    if m is not None and m.start("_m") < run:
        return m  # a letter-led match before any digit-led one can start
    return PROFIT.fast.search(low, run)


def _profit_span(low: str) -> tuple[int, int] | None:
    """Where the post reports a profit ("Profit: 69.8%", "www"), if it does."""
    if "profit" in low:
        m = _profit_match(low)
    elif any(map(low.__contains__, PROFIT_TRIGGERS)):
        m = PROFIT_NO_EN.fast.search(low)
    else:
        return None
    return None if m is None else m.span("_m")


_INDEX_GROUPS: Final = ("idx", "idx2", "idx3", "idx4", "idx5", "idx6")
_ORDINAL_GROUPS: Final = ("ord", "zh")
# per pattern: the positions in ``groups()`` of the index groups it has, in the order they are
# read (looked up once, not a groupdict per match). Keyed by ``id``: hashing a pattern hashes
# all its compiled code; the pattern is kept in the value, so the id stays its own.
_GROUPS_OF: dict[int, tuple[re.Pattern[str], tuple[int, ...], tuple[int, ...]]] = {}


def _index_of(m: re.Match[str]) -> int | None:
    """The target index a report match names: a number group, else an ordinal word."""
    rx = m.re
    got = _GROUPS_OF.get(id(rx))
    if got is None or got[0] is not rx:
        index = rx.groupindex
        got = (
            rx,
            tuple(index[x] - 1 for x in _INDEX_GROUPS if x in index),
            tuple(index[x] - 1 for x in _ORDINAL_GROUPS if x in index),
        )
        _GROUPS_OF[id(rx)] = got
    _, numbered, ordinal = got
    if not numbered and not ordinal:
        return None
    groups = m.groups()
    for i in numbered:
        raw = groups[i]
        if raw:
            return int(raw)
    for i in ordinal:
        raw = groups[i]
        if raw:
            return int(raw) if raw.isdigit() else ORDINALS.get(raw)
    return None


def move_level(n: Normalized) -> Num | None:
    """The new stop of a "move SL" post: the price right after "SL to", "стоп на", "止损移到"."""
    low = n.lower
    for m in MOVE_LEVEL_RE.finditer(low):
        nums = numbers(n, m.end(), min(len(low), m.end() + 24))
        if nums and nums[0].start == m.end() + (
            len(low[m.end() :]) - len(low[m.end() :].lstrip("$ "))
        ):
            return nums[0]
        if nums and low[m.end() : nums[0].start].strip(" $") == "":
            return nums[0]
    return None
