"""Rule-based parser: normalise, pre-classify, extract fields, apply sanity rules.

Pure and fast: every regular expression is compiled at import (``patterns``); one call does a
handful of C-level scans over a few hundred characters.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from core.domain import Market, Side, SignalKind, UpdateType
from services.signal_parser import lexicon as lx
from services.signal_parser import patterns as p
from services.signal_parser.leads import led_pattern
from services.signal_parser.model import EntryValue, ParseResult, UpdateInfo
from services.signal_parser.normalize import NUMBER_RE, Normalized, normalize, to_decimal

MAX_CHARS: Final = 20_000
MAX_LEVERAGE: Final = Decimal(250)
_UPDATE_ORDER: Final = (
    UpdateType.TP_HIT,
    UpdateType.SL_HIT,
    UpdateType.CANCEL,
    UpdateType.ENTRY_FILLED,
    UpdateType.PARTIAL_CLOSE,
    UpdateType.CLOSE,
    UpdateType.MOVE_SL,
    UpdateType.OTHER,
)
_STABLES: Final = frozenset({"USDT", "USDC", "BUSD", "USD", "FDUSD", "TUSD", "EUR", "USDE"})
_LABEL_TOKEN: Final = re.compile(r"(?:tp|sl|tps|target|entry|stop)\d*")
_INSTANT_RE: Final = re.compile(
    r"instant\s+execution|market\s+(?:order|price|execution)|\bat\s+market\b|\bcmp\b|\bnow\b"
    r"|市價|市价|現價|现价|по\s+рынку"
)
_TICKER_RE: Final = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]{1,9}(?![A-Za-z0-9])")
_NUMBERED_SPACE: Final = re.compile(r"\s+")
# compiled here, not looked up in ``re``'s cache on every call
_LABEL_COLON_RE: Final = re.compile(r"\s*[:：]")
_DIGIT_RE: Final = re.compile(r"\d")
_AT_PRICE_RE: Final = re.compile(r"@\s*\$?\s*")
# led by the class of their first characters: ``re`` skips in C to where a match can start
_NUMBER: Final = led_pattern(NUMBER_RE, r"\d.")
_INSTANT: Final = led_pattern(_INSTANT_RE, "acimnп市现現")


@dataclass(slots=True)
class _Num:
    value: Decimal
    start: int
    end: int


@dataclass(slots=True)
class _Pair:
    base: str
    quote: str | None
    start: int
    end: int
    quote_span: tuple[int, int] | None
    perp: bool = False


@dataclass(slots=True)
class _Update:
    type: UpdateType
    index: int | None
    strong: bool
    start: int
    end: int
    all_types: set[UpdateType] = field(default_factory=set)


@dataclass(slots=True)
class _Levels:
    entry: list[_Num] = field(default_factory=list)
    entry_market: tuple[int, int] | None = None
    targets: list[_Num] = field(default_factory=list)
    stop: _Num | None = None
    leverage: _Num | None = None
    has_labels: bool = False
    entry_word: str = ""


def parse_rules(text: str) -> ParseResult:
    """Parse one post with the rules only. Never raises."""
    try:
        return _parse(text if len(text) <= MAX_CHARS else text[:MAX_CHARS])
    except Exception:  # a parser bug must never take the caller down
        return ParseResult(kind=SignalKind.OTHER, confidence=0.0)


# --------------------------------------------------------------------------- numbers


def _numbers(n: Normalized, start: int, end: int) -> list[_Num]:
    """Price-like numbers in ``text[start:end]``: no percentages, leverage, list markers, times."""
    low = n.lower
    out: list[_Num] = []
    not_price = p.NOT_PRICE_AFTER_RE.match
    # a label's segment is short: ``finditer`` in C beats the skipping ``fast`` search loop
    for m in NUMBER_RE.finditer(low, start, end):
        s, e = m.span()
        # percentages, leverage, "50 pips" (a distance), DCA add-ons, times
        if not_price(low, e) is not None:
            continue
        tok = m.group()
        if tok.isdigit() and len(tok) <= 2 and p.MARKER_AFTER_RE.match(low, e):
            continue
        if s > 0 and low[s - 1] == "(" and low[e : e + 1] == ")" and tok.isdigit():
            continue
        value = to_decimal(tok)
        if value is not None:
            out.append(_Num(value, s, e))
    return out


def _line_bounds(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        out.append((pos, end))
        pos = end + 1
    return out


# --------------------------------------------------------------------------- pair


def _upper_or_lower(token: str) -> bool:
    return token.isupper() or token.islower() or token.isdigit()


def _find_pair(n: Normalized, with_labels: bool) -> _Pair | None:
    t = n.text
    for rx in (p.SLASH_PAIR_RE, p.DASH_PAIR_RE):
        if rx is p.SLASH_PAIR_RE and "/" not in t:
            continue
        for m in rx.finditer(t):
            base = m.group("base")
            low_base = base.lower()
            if not any(c.isalpha() for c in base) or (
                low_base in lx.NOT_TICKERS and low_base not in lx.PAIR_TICKERS
            ):
                continue
            if not (_upper_or_lower(base) or base.istitle()):
                continue  # "Bnb/usdt" is fine, "SiGnAl/USDT" is not
            return _Pair(
                base.upper(),
                m.group("quote").upper(),
                m.start("base"),
                m.end("base"),
                m.span("quote"),
                perp=rx is p.DASH_PAIR_RE and "perp" in m.group().lower(),
            )
    for m in p.GLUED_PAIR_RE.finditer(t):
        base, quote = m.group("base"), m.group("quote")
        token = base + quote
        if not any(c.isalpha() for c in base) or (base.upper() in _STABLES and base != "EUR"):
            continue
        if not token.isupper() and not (token.islower() and quote in lx.STRONG_QUOTES):
            continue
        if token.lower() in lx.NOT_TICKERS and token.upper() != "BTCUSDT":
            continue
        return _Pair(
            base.upper(),
            quote.upper(),
            m.start("base"),
            m.end("base"),
            m.span("quote"),
            perp=m.group("perp") is not None,
        )
    for h in p.PAIR_LABELS.finditer(n.lower):
        m = p.PAIR_AFTER_RE.match(t, h.end)
        if m is None:
            continue
        base = m.group("base")
        if (
            any(c.isalpha() for c in base)
            and base.lower() not in lx.NOT_TICKERS
            and _upper_or_lower(base)
        ):
            return _Pair(base.upper(), None, m.start("base"), m.end("base"), None)
    for m in p.TAG_RE.finditer(t):
        base = m.group("base")
        if base.lower() not in lx.NOT_TICKERS and _upper_or_lower(base):
            return _Pair(base.upper(), None, m.start("base"), m.end("base"), None)
    if not with_labels:
        return None
    for m in p.SIDE_TOKEN_RE.finditer(t):
        base = m.group("base")
        if base.lower() not in lx.NOT_TICKERS:
            return _Pair(base, None, m.start("base"), m.end("base"), None)
    for m in p.OPEN_TOKEN_RE.finditer(t):
        base = m.group("base")
        if base.lower() not in lx.NOT_TICKERS and _upper_or_lower(base):
            return _Pair(base.upper(), None, m.start("base"), m.end("base"), None)
    first = t.lstrip()
    offset = len(t) - len(first)
    m = p.LEAD_TOKEN_RE.match(first)
    if m:
        base = m.group("base")
        if (
            base.lower() not in lx.NOT_TICKERS
            and _upper_or_lower(base)
            and not _LABEL_TOKEN.fullmatch(base.lower())
        ):
            return _Pair(
                base.upper(), None, offset + m.start("base"), offset + m.end("base"), None
            )
    return None


# --------------------------------------------------------------------------- side


def _find_side(n: Normalized) -> tuple[Side | None, tuple[int, int] | None, int]:
    """Vote over side words; returns (side, span of the deciding word, margin)."""
    low = n.lower
    votes = {Side.LONG: 0, Side.SHORT: 0}
    first: dict[Side, tuple[int, int]] = {}
    hits: list[tuple[Side, int, int, int, str]] = []
    for h in p.SIDES.finditer(low):
        side = Side.LONG if h.kind == "long" else Side.SHORT
        word = " ".join(h.word.split())
        hits.append((side, p.SIDE_WEIGHT.get(word, 1), h.start, h.end, word))
    if "多" in low or "空" in low:
        for m in p.ZH_SIDE_RE.finditer(low):
            s = m.start()
            if s > 0 and p.ZH_SIDE_BEFORE.search(low, max(0, s - 2), s):
                side = Side.LONG if m.group() == "多" else Side.SHORT
                hits.append((side, 2, s, m.end(), m.group()))
        hits.sort(key=lambda x: x[2])
    # the words that cancel a side word are looked for only when there is a side word
    blocked = [(h.start, h.end) for h in p.SIDE_NOT.finditer(low)] if hits else []
    for side, weight, s, e, word in hits:
        if any(bs <= s < be for bs, be in blocked):
            continue
        if side is Side.SHORT and word == "sell" and votes[Side.LONG] and _is_label(low, e):
            continue  # "Buy zone ... Sell: x" - a target label, not a side
        votes[side] += weight
        first.setdefault(side, (s, e))
    if votes[Side.LONG] == votes[Side.SHORT]:
        if not first:
            return None, None, 0
        side = min(first, key=lambda k: first[k][0])
        return side, first[side], 0
    side = Side.LONG if votes[Side.LONG] > votes[Side.SHORT] else Side.SHORT
    return side, first[side], abs(votes[Side.LONG] - votes[Side.SHORT])


def _is_label(low: str, end: int) -> bool:
    return bool(_LABEL_COLON_RE.match(low[end : end + 3]))


# --------------------------------------------------------------------------- levels


def _segment_values(
    n: Normalized,
    kind: str,
    start: int,
    seg_end: int,
    line_end: int,
    lines: list[tuple[int, int]],
    line_idx: int,
    next_label: int,
) -> tuple[list[_Num], int]:
    """Numbers belonging to one label: rest of its line, else the list lines below it."""
    low = n.lower
    if kind in ("entry", "target", "stop"):
        m = p.INDEX_RE.match(low, start, seg_end)
        if m and _NUMBER.fast.search(low, m.end(), seg_end):
            start = m.end()
    nums = _numbers(n, start, seg_end)
    if nums and kind == "target" and seg_end == line_end:
        # "Tp 1.11" then "1.3" and "1.48" alone on the lines below
        last_end = seg_end
        for ls, le in lines[line_idx + 1 :]:
            if le > next_label or not p.NUMBERS_ONLY_LINE_RE.fullmatch(low, ls, le):
                break
            more = _numbers(n, ls, le)
            if not more:
                break
            nums.extend(more)
            last_end = le
        return nums, last_end
    if nums or seg_end < line_end:
        return nums, seg_end
    # header style: "Take-Profit Targets:" followed by one value per line
    out: list[_Num] = []
    last_end = seg_end
    blanks = 0
    for ls, le in lines[line_idx + 1 :]:
        if ls >= next_label or le > next_label:
            break
        body = low[ls:le].strip()
        if not body:
            blanks += 1
            if blanks > 1 or out:
                break
            continue
        mk = p.LIST_MARKER_RE.match(low, ls, le)
        pos = mk.end() if mk else ls
        line_nums = _numbers(n, pos, le)
        if not line_nums:
            if mk and mk.end() > ls and _DIGIT_RE.search(low[ls : mk.end()]):
                continue  # "7) 🚀🚀🚀": an open target
            break
        out.extend(line_nums)
        last_end = le
    return out, last_end


def _extract_levels(n: Normalized, work_end: int) -> _Levels:
    low = n.lower
    lv = _Levels()
    labels = _labels(low, 0, work_end)
    if not labels:
        return lv
    lv.has_labels = any(k in ("entry", "target", "stop") for k, _, _ in labels)
    lines = _line_bounds(n.text)
    line_starts = [s for s, _ in lines]
    used_until = -1
    for i, (kind, ls, le) in enumerate(labels):
        if le <= used_until and kind != "lev":
            continue
        next_label = labels[i + 1][1] if i + 1 < len(labels) else work_end
        li = _bisect(line_starts, ls)
        line_end = min(lines[li][1], work_end)
        seg_end = min(next_label, line_end)
        if kind == "lev":
            if lv.leverage is None:
                lv.leverage = _leverage_in(low, le, seg_end, labelled=True)
            continue
        if kind == "dca":
            continue
        nums, consumed = _segment_values(n, kind, le, seg_end, line_end, lines, li, next_label)
        if consumed > seg_end:
            used_until = consumed
        if kind == "entry":
            word = low[ls:le]
            if (lv.entry or lv.entry_market) and word in ("sell", "buy") and nums:
                if lv.entry_word.startswith("sell" if word == "buy" else "buy"):
                    lv.targets.extend(nums)  # "Buy zone: a - b / Sell: c": c is a target
                continue
            if lv.entry or lv.entry_market:
                continue
            lv.entry_word = word
            mk = p.MARKET_ENTRY.search(low, le, max(seg_end, consumed))
            if mk:
                lv.entry_market = (mk.start, mk.end)
            elif nums:
                lv.entry = nums
        elif kind == "target":
            lv.targets.extend(nums)
        elif kind == "stop" and lv.stop is None and nums:
            lv.stop = nums[0]
    return lv


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _labels(low: str, start: int, end: int) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for h in p.LABELS.finditer(low, start, end):
        kind = h.kind
        if kind == "sidelabel":
            after = p.AT_AFTER_RE if h.word == "@" else p.SIDE_LABEL_AFTER_RE
            if not after.match(low, h.end) and not (
                h.word != "@"
                and p.SPACE_NUMBER_RE.match(low, h.end)
                and p.LINE_HEAD_RE.search(low, max(0, h.start - 5), h.start)
            ):
                continue
            kind = "entry"
        elif kind == "exitlabel":
            if not p.SIDE_LABEL_AFTER_RE.match(low, h.end):
                continue
            kind = "target"
        out.append((kind, h.start, h.end))
    return out


def _bisect(starts: list[int], pos: int) -> int:
    return max(bisect_right(starts, pos) - 1, 0)


def _leverage_in(low: str, start: int, end: int, *, labelled: bool) -> _Num | None:
    if labelled:
        matches: Iterator[tuple[int, int, re.Match[str]]] = (
            (0, 0, m) for m in p.LEV_VALUE_RE.finditer(low, start, end)
        )
    elif ("x" not in low and "х" not in low and "倍" not in low) or not p.LEV_GATE.fast.search(
        low, start, end
    ):
        return None  # both leverage patterns need an "x" (Latin or Cyrillic) or a "倍"
    else:
        matches = p.LEV_FREE.finditer(low, start, end)
    for _, _, m in matches:
        group = "lo" if m.group("lo") else "lo2"
        raw = m.group(group)
        if raw is None:
            continue
        value = Decimal(raw)
        if Decimal(1) <= value <= MAX_LEVERAGE:
            return _Num(value, m.start(group), m.end(group))
        if labelled:
            break
    return None


def _side_line_entry(
    n: Normalized, side_span: tuple[int, int], pair: _Pair | None, work_end: int
) -> tuple[list[_Num], tuple[int, int] | None]:
    """Entry written on the side line: "ETH 3665-3635附近多", "LONG : 0.027"."""
    low = n.lower
    ls = low.rfind("\n", 0, side_span[0]) + 1
    le = low.find("\n", side_span[1])
    le = min(work_end, len(low) if le < 0 else le)
    for kind, s, _ in _labels(low, side_span[1], le):
        if kind in ("target", "stop"):
            le = s
            break
    mk = p.MARKET_ENTRY.search(low, ls, le)
    if mk:
        return [], (mk.start, mk.end)
    nums = [
        x for x in _numbers(n, ls, le) if pair is None or not (pair.start <= x.start < pair.end)
    ]
    return nums, None


# --------------------------------------------------------------------------- updates


def _find_update(low: str) -> _Update | None:
    found: dict[UpdateType, tuple[int | None, bool, int, int]] = {}
    rare = p.RARE_UPDATE_GATE.search(low) is not None
    for i, utype, strong, gate, rare_type in p.UPDATE_LOOP:
        if (rare_type and not rare) or not gate.search(low):
            continue
        best: tuple[int | None, bool, int, int] | None = None
        for s, e, m in p.update_matches(i, low):
            if p.CONDITIONAL.fast.search(low, max(0, s - 16), s):
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
        if best is not None:
            found[utype] = best
    tp = found.get(UpdateType.TP_HIT)
    if tp is not None and tp[0] is None and UpdateType.CANCEL in found:
        del found[UpdateType.TP_HIT]  # "Cancelled ❌ Target achieved before entering": a cancel
    stripped = low.strip()
    if len(stripped) <= 40:
        m = p.SHORT_TP_RE.match(stripped)
        if m and UpdateType.TP_HIT not in found:
            off = low.find(stripped)
            found[UpdateType.TP_HIT] = (int(m.group("idx")), True, off + m.start(), off + m.end())
    if len(stripped) <= 100:
        m = p.SL_WEAK_RE.match(low)
        if m and not found and not _labels(low, m.end(), len(low)):
            found[UpdateType.SL_HIT] = (None, False, m.start(), m.end())
    if "profit" in low:
        profit = p.PROFIT.fast.search(low)
    elif any(w in low for w in p.PROFIT_TRIGGERS):
        profit = p.PROFIT_NO_EN.fast.search(low)
    else:
        profit = None
    if not found:
        if profit is not None:
            s, e = profit.span("_m")
            return _Update(UpdateType.TP_HIT, None, True, s, e, {UpdateType.TP_HIT})
        return None
    for utype in _UPDATE_ORDER:
        if utype in found:
            idx, strong, s, e = found[utype]
            strong = strong or any(v[1] for v in found.values()) or profit is not None
            return _Update(utype, idx, strong, s, e, set(found))
    return None


_INDEX_GROUPS: Final = ("idx", "idx2", "idx3", "idx4", "idx5")
_ORDINAL_GROUPS: Final = ("ord", "zh")
# per pattern: the positions in ``groups()`` of the index groups it has, in the order they are
# read (looked up once, not a groupdict per match). Keyed by ``id``: hashing a pattern hashes
# all its compiled code; the pattern is kept in the value, so the id stays its own.
_GROUPS_OF: dict[int, tuple[re.Pattern[str], tuple[int, ...], tuple[int, ...]]] = {}


def _index_of(m: re.Match[str]) -> int | None:
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
            return int(raw) if raw.isdigit() else p.ORDINALS.get(raw)
    return None


def _move_level(n: Normalized) -> _Num | None:
    for m in p.MOVE_LEVEL_RE.finditer(n.lower):
        nums = _numbers(n, m.end(), min(len(n.lower), m.end() + 24))
        if nums and nums[0].start == m.end() + (
            len(n.lower[m.end() :]) - len(n.lower[m.end() :].lstrip("$ "))
        ):
            return nums[0]
        if nums and n.lower[m.end() : nums[0].start].strip(" $") == "":
            return nums[0]
    return None


# --------------------------------------------------------------------------- market


def _find_market(
    low: str, leverage: bool, perp: bool
) -> tuple[Market | None, tuple[int, int] | None]:
    fut = spot = None
    for h in p.MARKETS.finditer(low):
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


# --------------------------------------------------------------------------- sanity


def _sanity_penalty(
    side: Side | None, entry: list[Decimal], targets: list[Decimal], stop: Decimal | None
) -> float:
    """How much the levels contradict each other (0 = consistent)."""
    penalty = 0.0
    levels = [*entry, *targets] + ([stop] if stop is not None else [])
    positive = [x for x in levels if x > 0]
    if len(positive) != len(levels):
        penalty += 0.3
    if len(positive) >= 2:
        ordered = sorted(positive)
        median = ordered[len(ordered) // 2]
        if any(x > median * 10 or x * 10 < median for x in positive):
            penalty += 0.35
    if side is None:
        return penalty
    long = side is Side.LONG
    if entry:
        lo, hi = min(entry), max(entry)
        if stop is not None and ((long and stop >= lo) or (not long and stop <= hi)):
            penalty += 0.25
        bad = [t for t in targets if (long and t <= lo) or (not long and t >= hi)]
        if bad:
            penalty += 0.25 if len(bad) < len(targets) else 0.35
    elif (
        stop is not None
        and targets
        and ((long and min(targets) <= stop) or (not long and max(targets) >= stop))
    ):
        penalty += 0.3
    return penalty


# --------------------------------------------------------------------------- main


def _parse(text: str) -> ParseResult:
    if not text or not text.strip():
        return ParseResult(kind=SignalKind.OTHER, confidence=1.0)
    n = normalize(text)
    low = n.lower
    # every match holds one of these words: two substring tests spare most posts the search
    trailing = p.TRAILING_RE.search(low) if "trailing" in low or "трейлинг" in low else None
    work_end = trailing.start() if trailing else len(low)

    levels = _extract_levels(n, work_end)
    pair = _find_pair(n, with_labels=levels.has_labels)
    side, side_span, side_margin = _find_side(n)
    # a complete entry (pair, entry, targets and stop) stays an entry whatever it mentions, so
    # the update scan is skipped for it: half the cost of a typical signal post
    complete_early = (
        pair is not None
        and bool(levels.entry)
        and levels.stop is not None
        and bool(levels.targets)
    )
    update = None if complete_early and not p.RESULT_GATE.search(low) else _find_update(low)
    if levels.leverage is None:
        levels.leverage = _leverage_in(low, 0, work_end, labelled=False)

    if (
        side_span is not None
        and levels.entry
        and _INSTANT.fast.search(
            low, low.rfind("\n", 0, side_span[0]) + 1, _line_end(low, side_span[1])
        )
    ):
        levels.entry_market = side_span  # "Sell (Instant Execution)": the price is a reference
        levels.entry = []
    if not levels.entry and not levels.entry_market and side_span is not None:
        nums, mk = _side_line_entry(n, side_span, pair, work_end)
        used = {x.start for x in levels.targets}
        if levels.stop is not None:
            used.add(levels.stop.start)
        levels.entry = [x for x in nums if x.start not in used]
        levels.entry_market = mk
    if not levels.entry and not levels.entry_market:
        at = _AT_PRICE_RE.search(low)
        if at:
            levels.entry = _numbers(n, at.end(), min(len(low), at.end() + 20))[:1]

    entry_labelled = bool(levels.entry) and bool(levels.entry_word)
    has_entry = bool(levels.entry) or levels.entry_market is not None
    n_fields = sum((side is not None, has_entry, bool(levels.targets), levels.stop is not None))
    complete = bool(levels.entry) and levels.stop is not None and bool(levels.targets)
    entry_like = (
        pair is not None
        and n_fields >= 2
        # an entry price alone only counts when a label says so ("Entry: 5"); commentary such
        # as "ETH could go long above 2000" has a side and a number but no trade
        and (bool(levels.targets) or levels.stop is not None or entry_labelled)
    )

    if update is not None and update.strong and not complete:
        kind = SignalKind.UPDATE
    elif (
        update is not None
        and complete
        and update.type in (UpdateType.TP_HIT, UpdateType.SL_HIT)
        and update.strong
    ):
        kind = SignalKind.UPDATE  # a results post repeating the whole signal
    elif entry_like and (has_entry or levels.targets or levels.stop is not None):
        kind = SignalKind.ENTRY
    elif update is not None:
        kind = SignalKind.UPDATE
    elif pair is not None and side is not None and p.OPEN_VERB.fast.search(low):
        kind = SignalKind.ENTRY
    else:
        kind = SignalKind.OTHER

    market, market_span = _find_market(
        low[:work_end], levels.leverage is not None, pair is not None and pair.perp
    )
    spans: dict[str, tuple[int, int]] = {}
    if kind is SignalKind.OTHER:
        has_stuff = (
            pair is not None
            or bool(levels.targets)
            or side is not None
            or (_TICKER_RE.search(n.text) is not None and len(NUMBER_RE.findall(low)) >= 2)
        )
        return ParseResult(kind=SignalKind.OTHER, confidence=0.45 if has_stuff else 0.9)

    if pair is not None:
        spans["base"] = n.span(pair.start, pair.end)
        if pair.quote_span is not None:
            spans["quote"] = n.span(*pair.quote_span)
    if side_span is not None:
        spans["side"] = n.span(*side_span)
    if market_span is not None:
        spans["market"] = n.span(*market_span)

    if kind is SignalKind.UPDATE:
        assert update is not None
        spans["update"] = n.span(update.start, update.end)
        stop = None
        if UpdateType.MOVE_SL in update.all_types:
            lvl = _move_level(n)
            if lvl is not None:
                stop = lvl.value
                spans["stop_loss"] = n.span(lvl.start, lvl.end)
        targets: tuple[Decimal, ...] = ()
        if update.type is UpdateType.OTHER and levels.targets:
            targets = tuple(x.value for x in levels.targets)
            spans["targets"] = n.span(levels.targets[0].start, levels.targets[-1].end)
        conf = 0.9 if update.strong else 0.75
        if update.type is UpdateType.SL_HIT and not update.strong:
            conf = 0.65
        return ParseResult(
            kind=SignalKind.UPDATE,
            base=pair.base if pair else None,
            quote=pair.quote if pair else None,
            side=side,
            market=market,
            targets=targets,
            stop_loss=stop,
            update=UpdateInfo(update.type, update.index),
            confidence=conf,
            spans=spans,
        )

    entry_value: EntryValue
    if levels.entry_market is not None:
        entry_value = "market"
        spans["entry"] = n.span(*levels.entry_market)
    elif levels.entry:
        vals = [x.value for x in levels.entry]
        entry_value = (vals[0],) if len(vals) == 1 else (min(vals), max(vals))
        spans["entry"] = n.span(levels.entry[0].start, levels.entry[-1].end)
    else:
        entry_value = "market"
    if levels.targets:
        spans["targets"] = n.span(levels.targets[0].start, levels.targets[-1].end)
    if levels.stop is not None:
        spans["stop_loss"] = n.span(levels.stop.start, levels.stop.end)
    if levels.leverage is not None:
        spans["leverage"] = n.span(levels.leverage.start, levels.leverage.end)

    conf = 0.35
    conf += 0.15 if pair is not None else 0.0
    conf += 0.2 if side is not None else 0.0
    conf += 0.1 if levels.entry else (0.05 if levels.entry_market else 0.0)
    conf += 0.1 if levels.targets else 0.0
    conf += 0.1 if levels.stop is not None else 0.0
    if side is not None and side_margin == 0 and n_fields < 4:
        conf -= 0.05
    conf -= _sanity_penalty(
        side,
        [x.value for x in levels.entry],
        [x.value for x in levels.targets],
        levels.stop.value if levels.stop else None,
    )
    if update is not None:
        conf -= 0.1
    return ParseResult(
        kind=SignalKind.ENTRY,
        base=pair.base if pair else None,
        quote=pair.quote if pair else None,
        side=side,
        market=market,
        entry=entry_value,
        targets=tuple(x.value for x in levels.targets),
        stop_loss=levels.stop.value if levels.stop else None,
        leverage=levels.leverage.value if levels.leverage else None,
        confidence=max(0.0, min(1.0, round(conf, 3))),
        spans=spans,
    )
