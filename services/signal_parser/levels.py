"""Trade levels of a post: entry (prices or market), targets, stop loss and leverage.

Owns reading the numbers that belong to each label (the rest of its line, the price-only lines
below a target, or a list under a header such as "Take-Profit Targets:") and the places an
entry is written without an entry label (on the side line, after "@"). Invariants: the first
entry label and the first stop win; a value line is read for one label only; the levels end
where a trailing-stop configuration starts (``levels_end``); leverage is 1..250.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Final

from services.signal_parser import lexicon as lx
from services.signal_parser.keywords import Scanner
from services.signal_parser.labels import labels
from services.signal_parser.leads import led_pattern
from services.signal_parser.normalize import Normalized
from services.signal_parser.prices import (
    Num,
    line_bounds,
    numbers,
    to_decimal,
)

MAX_LEVERAGE: Final = Decimal(250)
TRAILING_RE: Final = re.compile(
    r"(?:^|\n)[^\w\n]*(?:trailing\s+(?:configuration|stop|take)|трейлинг)"
)
# a target number after a label: "TP1 42000", "TP #2", "TP 3: 44000", "Target 1 - 42000"
INDEX_RE: Final = re.compile(
    r"(?P<gap>[ \t]*)(?P<hash>#|№|no\.?)?[ \t]*(?P<idx>\d{1,2})(?!\d|[.,]\d)"
    r"[ \t]*(?P<mark>[:.)=]|-)?"
)
# digits glued to a label: "TP41.3100" (target 4 = 1.3100), "SL1.2000"
GLUED_NUMBER_RE: Final = re.compile(r"(?P<int>\d+)[.,](?P<frac>\d+)(?![\d.,])")
# an index only when the number after it is of another magnitude ("TP 1 42000", not "tp 7 8")
INDEX_MAGNITUDE: Final = 10
# "TP4 Open (4594 / 4592)", "TP3: 🚀": an open target, its numbers are alternatives
OPEN_TARGET_RE: Final = re.compile(
    r"[ \t]*\d{0,2}[ \t]*[:\-]?[ \t]*(?:open\b|unlimited|🚀|∞|открыт|aberto|abierto)"
)
# what may come before a header label on its line: list marks, emoji, a word or two
HEADER_HEAD_RE: Final = re.compile(r"[^\n]{0,12}")
LIST_MARKER_RE: Final = re.compile(
    r"[ \t]*(?:[-•*·▪▫►→>+✅✔☑🔹🔸🔷🔶▶️]+[ \t]*)?(?:\d{1,2}(?:[ \t]*\)|[.:](?!\d))[ \t]*)?"
)
# a line that holds nothing but prices (continuation of "Tp 1.11" on the lines below)
NUMBERS_ONLY_LINE_RE: Final = re.compile(
    r"[^\w\n]*\$?\d[\d.,]*(?:[ \t]*[-–/,|][ \t]*\$?\d[\d.,]*)*[^\w\n]*"
)
_DIGIT_RE: Final = re.compile(r"\d")
# a sentence ends between two numbers: they belong to different statements
SENTENCE_END_RE: Final = re.compile(r"[.!?。][ \t]+[^\W\d_]")
# letters between a label and its price that make the value part of a sentence
PROSE_LETTERS: Final = 15
CJK_WEIGHT: Final = 3
MARKET_PRICE: Final = Scanner(dict.fromkeys(lx.MARKET_WORDS, "market"))
# the label kinds that make a post one with level labels
LEVEL_KINDS: Final = frozenset(("entry", "target", "stop"))

LEV_VALUE_RE: Final = re.compile(
    r"(?<![a-z0-9.$])[xх]?\s*(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:-\s*(?P<hi>\d{1,3}(?:\.\d+)?)\s*)?"
    r"(?:[xх]|倍|times\b)?(?![a-z0-9])"
)
LEV_FREE_RE: Final = re.compile(
    r"(?<![a-z0-9.,])(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:-\s*(?P<hi>\d{1,3}(?:\.\d+)?)\s*)?"
    r"(?:[xх]|倍)(?![a-zа-я0-9])"
    r"|(?<![a-z0-9])[xх]\s?(?P<lo2>\d{1,3})(?![\d.,a-z])"
)
LEV_FREE: Final = led_pattern(LEV_FREE_RE, r"\dxх")


@dataclass(slots=True)
class Levels:
    """What the labels of a post say; filled in place by the steps of the parse."""

    entry: list[Num] = field(default_factory=list)
    entry_market: tuple[int, int] | None = None
    targets: list[Num] = field(default_factory=list)
    stop: Num | None = None
    leverage: Num | None = None
    has_labels: bool = False
    entry_word: str = ""
    # what the confidence weighs: labels that gave no value, the highest target number written,
    # an entry read by a weak rule (the "@" fallback, the pair line, a lone price below)
    target_labelled: bool = False
    stop_labelled: bool = False
    numbered: int = 0
    entry_weak: bool = False
    # the entry or stop was read from a sentence ("Entrada Condicional: aguardar ... $4,500"):
    # a later label of the same kind with a bare price ("| Preço de Entrada | $4,515 |") wins
    entry_prose: bool = False
    stop_prose: bool = False
    # where the first entry label starts: the side written around it decides (``sides``)
    entry_at: int = -1
    # entry labels that gave prices: two plans ("Cenário A ... Cenário B") give two
    entries_written: int = 0
    # the target numbers that gave values ("TP1: 42000"): a second "TP1" repeats it
    numbers_read: int = 0  # a bit per number: no set to build for every post

    @property
    def has_entry(self) -> bool:
        return bool(self.entry) or self.entry_market is not None

    @property
    def complete(self) -> bool:
        """Entry prices, targets and a stop: a full signal."""
        return bool(self.entry) and self.stop is not None and bool(self.targets)


def levels_end(low: str) -> int:
    """Where the levels of a post end: before a trailing-stop configuration, if any."""
    # every match holds one of these words: two substring tests spare most posts the search
    if "trailing" not in low and "трейлинг" not in low:
        return len(low)
    trailing = TRAILING_RE.search(low)
    return trailing.start() if trailing else len(low)


def extract_levels(n: Normalized, work_end: int) -> Levels:
    """Read every label of ``n.lower[:work_end]`` into ``Levels``."""
    low = n.lower
    lv = Levels()
    found = labels(low, 0, work_end)
    if not found:
        return lv
    lv.has_labels = not LEVEL_KINDS.isdisjoint([k for k, _, _ in found])
    lines = line_bounds(n.text)
    line_starts = [s for s, _ in lines]
    used_until = -1
    for i, (kind, ls, le) in enumerate(found):
        if le <= used_until and kind != "lev":
            continue
        next_label = found[i + 1][1] if i + 1 < len(found) else work_end
        li = max(bisect_right(line_starts, ls) - 1, 0)
        line_end = min(lines[li][1], work_end)
        # the label's segment: up to the next label or the end of its line
        seg_end = min(next_label, line_end)
        if kind == "lev":
            if lv.leverage is None:
                lv.leverage = labelled_leverage(low, le, seg_end)
            continue
        if kind == "dca" or (kind == "entry" and _after_dca(found, i)):
            continue  # "DCA Entry (1% capital): 9.72": an add-on, not the entry
        expected = len(lv.targets) + 1 if kind == "target" else 1
        # the same line already gave targets: no list below this label
        on_line = kind == "target" and bool(lv.targets) and lv.targets[-1].start >= lines[li][0]
        # the target number after the label ("TP 2: 1.5"), matched once for the values and
        # the numbering
        index = INDEX_RE.match(low, le, seg_end)
        nums, consumed = _segment_values(
            n, lines, kind, le, seg_end, line_end, li, next_label, expected, ls, on_line, index
        )
        if consumed > seg_end:
            used_until = consumed
        if len(nums) > 1:  # a pipe or a sentence end after the only value cuts nothing
            nums = field_values(low, nums, seg_end)
        # only an entry or a stop gives way when read from a sentence
        prose = kind != "target" and bool(nums) and _prose_before(low, le, nums[0].start)
        if kind == "entry":
            lv.entry_at = ls if lv.entry_at < 0 else lv.entry_at
            _read_entry(lv, low, low[ls:le], nums, le, max(seg_end, consumed), prose)
        elif kind == "target" and not OPEN_TARGET_RE.match(low, le, seg_end):
            _read_target(lv, nums, index)
        elif kind == "stop":
            _read_stop(lv, nums, prose)
    return lv


def _read_stop(lv: Levels, nums: list[Num], prose: bool) -> None:
    """The first stop wins, but one read from a sentence gives way to a later bare price."""
    lv.stop_labelled = True
    if nums and (lv.stop is None or (lv.stop_prose and not prose)):
        lv.stop, lv.stop_prose = nums[0], prose


def _after_dca(found: list[tuple[str, int, int]], i: int) -> bool:
    """Whether label ``i`` directly follows a DCA label ("DCA Entry", "Nhập DCA")."""
    return i > 0 and found[i - 1][0] == "dca" and found[i][1] - found[i - 1][2] <= 1


def field_values(low: str, nums: list[Num], seg_end: int) -> list[Num]:
    """The values of one field: a pipe after a value ends it ("Entry range: $123-125 (...)|Stop
    loss: $128"), and so does the end of a sentence ("... em $2.309,36. Isso dá um lucro de
    $2.576,77 - ...")."""
    if len(nums) < 2:
        return nums  # a pipe or a sentence end after the only value cuts nothing
    if "|" in low[nums[0].end : seg_end]:
        bar = low.index("|", nums[0].end, seg_end)
        nums = [x for x in nums if x.start < bar]
    if len(nums) < 2 or SENTENCE_END_RE.search(low, nums[0].end, nums[-1].start) is None:
        return nums  # most fields: one search
    for i in range(1, len(nums)):
        if SENTENCE_END_RE.search(low, nums[i - 1].end, nums[i].start):
            return nums[:i]
    return nums


def _read_target(lv: Levels, nums: list[Num], index: re.Match[str] | None) -> None:
    """A target label's values; a number already read is a repeat ("TP1: +$700 → 1:1" in a
    risk/reward block after TP1..TP3) and gives nothing."""
    number = _target_number(index)
    if number and lv.numbers_read >> number & 1:
        return
    lv.targets.extend(nums)
    lv.target_labelled = True
    lv.numbered = max(lv.numbered, number)
    if number and nums:
        lv.numbers_read |= 1 << number


def _prose_before(low: str, start: int, end: int) -> bool:
    """Whether a sentence stands between a label and its first price: more than
    ``PROSE_LETTERS`` letters, a Chinese or Japanese character counting as a word."""
    if end - start <= PROSE_LETTERS // CJK_WEIGHT:
        return False
    weight = 0
    for ch in low[start:end]:
        if ch.isalpha():
            weight += CJK_WEIGHT if ch >= "\u3040" else 1
    return weight > PROSE_LETTERS


def _target_number(m: re.Match[str] | None) -> int:
    """The number a target label gives its target ("TP3: 45000" is 3), or 0, from the
    ``INDEX_RE`` match after the label."""
    if m is None:
        return 0
    gap, mark_hash, mark = m.group("gap", "hash", "mark")
    if not (gap == "" or mark_hash or mark == ":"):
        return 0
    return int(m.group("idx"))


def _read_entry(
    lv: Levels,
    low: str,
    word: str,
    nums: list[Num],
    label_end: int,
    read_until: int,
    prose: bool,
) -> None:
    """The first entry label wins (but one read from a sentence gives way to a later bare
    price); a later "Sell:" after a "Buy" entry (or the reverse) gives targets. An entry is at
    market when a market word follows the label."""
    if nums:
        lv.entries_written += 1
    if lv.entry and lv.entry_prose and nums and not prose:
        lv.entry, lv.entry_prose = nums, False
        return
    if lv.entry or lv.entry_market is not None:  # the first entry label wins
        if (
            word in ("sell", "buy")
            and nums
            and lv.entry_word.startswith("sell" if word == "buy" else "buy")
        ):
            lv.targets.extend(nums)  # "Buy zone: a - b / Sell: c": c is a target
        elif lv.entry and nums and word.endswith("entry") and lv.entry_word.endswith("entry"):
            lv.entry.extend(nums)  # "Market entry: 126" then "Limit entry: 122": both bounds
        return
    lv.entry_word = word
    # "Entry: CMP", "Entry @ 1.09150 (market price)"; a zone stays a zone ("Entry range:
    # $123-125 (current price can open at market)")
    mk = MARKET_PRICE.search(low, label_end, nums[0].start if len(nums) > 1 else read_until)
    if mk:
        lv.entry_market = (mk.start, mk.end)
    elif nums:
        lv.entry, lv.entry_prose = nums, prose


def _segment_values(
    n: Normalized,
    lines: list[tuple[int, int]],
    kind: str,
    start: int,
    seg_end: int,
    line_end: int,
    line_idx: int,
    next_label: int,
    expected: int,
    label_start: int,
    values_on_line: bool = False,
    index: re.Match[str] | None = None,
) -> tuple[list[Num], int]:
    """Numbers belonging to one label (``start`` is the label's end) and where they end: the
    rest of its segment, else the list lines below it. ``index``: ``INDEX_RE`` matched at
    ``start``."""
    glued: list[Num] = []
    if kind in ("entry", "target", "stop"):
        start, glued = _skip_index(n, kind, start, seg_end, expected, index)
    nums = glued + numbers(n, start, seg_end)
    if nums and kind == "target" and seg_end == line_end:
        below = line_idx + 1
        # no line below, or one that starts with a letter (the next label, mostly): no price
        # continues the list there
        if below == len(lines) or n.lower[lines[below][0] : lines[below][0] + 1].isalpha():
            return nums, seg_end
        return _continued_targets(n, islice(lines, below, None), nums, seg_end, next_label)
    if nums or seg_end < line_end:
        return nums, seg_end
    head_start = lines[line_idx][0]
    if values_on_line:
        return nums, seg_end  # "TP: $118,000 (TP1) / $115,000 (TP2)": a line of values
    if not HEADER_HEAD_RE.fullmatch(n.lower, head_start, label_start) and not any(
        k == kind and head_start <= s < label_start for k, s, _ in labels(n.lower, 0, label_start)
    ):  # "Realizare Profit 1 (TP1)": a second name of the same label heads the line too
        return nums, seg_end  # "Breakeven after 2 target": a sentence, not a header
    return _values_listed_below(n, islice(lines, line_idx + 1, None), seg_end, next_label)


def _skip_index(
    n: Normalized, kind: str, start: int, seg_end: int, expected: int, m: re.Match[str] | None
) -> tuple[int, list[Num]]:
    """Where the values after a label start, past a target number ("TP 2: 1.5": the 2 is an
    index), and the value glued to the label, if any ("TP41.3100": target 4 is 1.3100).
    ``m``: ``INDEX_RE`` matched at ``start``."""
    low = n.lower
    # digits glued to the label start with a digit; most labels have a space or a colon after
    if start < seg_end and low[start].isdecimal():
        g = GLUED_NUMBER_RE.match(low, start, seg_end)
        if g is not None:
            return g.end(), _glued_value(g, kind, expected)
    if m is None:
        return start, []
    gap, mark_hash, mark = m.group("gap", "hash", "mark")
    if gap == "" or mark_hash or mark not in (None, "-"):
        return m.end(), []  # "TP1 42000", "TP #1", "TP 1: 42000", "T.P 1" (price below)
    after = numbers(n, m.end(), seg_end)
    if not after:
        # "T.P 1" alone on its line: the number of the price below it
        # "T.P 1" alone on its line, "Realizare Profit 1 (TP1)": the number of the price below
        alone = kind == "target" and int(m.group("idx")) == expected
        return (m.end() if alone else start), []
    idx, nxt = Decimal(m.group("idx")), after[0].value
    if nxt >= idx * INDEX_MAGNITUDE or nxt * INDEX_MAGNITUDE <= idx:
        return m.end(), []  # "TP 1 42000", "Target 1 - 0.05"
    if idx == expected and nxt != idx + 1:
        return m.end(), []  # "Target 4 - 32" after three targets
    return start, []  # "entry 35-36", "tp 7 8 9": prices


def _glued_value(g: re.Match[str], kind: str, expected: int) -> list[Num]:
    """The price in digits glued to a label: for a target, past its number when the digits
    start with the number the list expects next and more digits follow ("TP41.3100" after
    three targets is 1.3100); otherwise the whole number ("SL1.2000")."""
    whole, frac = g.group("int"), g.group("frac")
    skip = 0
    want = str(expected)
    if kind == "target" and len(whole) > len(want) and whole.startswith(want):
        skip = len(want)
    value = to_decimal(whole[skip:] + "." + frac)
    return [] if value is None else [Num(value, g.start() + skip, g.end())]


def _continued_targets(
    n: Normalized, below: Iterable[tuple[int, int]], nums: list[Num], seg_end: int, next_label: int
) -> tuple[list[Num], int]:
    """ "Tp 1.11" then "1.3" and "1.48" alone on the lines below."""
    last_end = seg_end
    for ls, le in below:
        if le > next_label or not NUMBERS_ONLY_LINE_RE.fullmatch(n.lower, ls, le):
            break
        more = numbers(n, ls, le)
        if not more:
            break
        nums.extend(more)
        last_end = le
    return nums, last_end


def _values_listed_below(
    n: Normalized, below: Iterable[tuple[int, int]], seg_end: int, next_label: int
) -> tuple[list[Num], int]:
    """Header style: "Take-Profit Targets:" followed by one value per line."""
    low = n.lower
    out: list[Num] = []
    last_end = seg_end
    blanks = 0
    for ls, le in below:
        if ls >= next_label or le > next_label:
            break
        if not low[ls:le].strip():
            blanks += 1
            if blanks > 1 or out:
                break
            continue
        mk = LIST_MARKER_RE.match(low, ls, le)
        line_nums = numbers(n, mk.end() if mk else ls, le)
        if not line_nums:
            if mk and mk.end() > ls and _DIGIT_RE.search(low[ls : mk.end()]):
                continue  # "7) 🚀🚀🚀": an open target
            break
        out.extend(line_nums)
        last_end = le
    return out, last_end


def labelled_leverage(low: str, start: int, end: int) -> Num | None:
    """The leverage after a "Leverage:" label: its first number, when it is 1..250; not a price
    ("5-7 times leverage at $123-125")."""
    dollar = low.find("$", start, end)
    m = LEV_VALUE_RE.search(low, start, end if dollar < 0 else dollar)
    if m is None:
        return None
    value = Decimal(m.group("lo"))
    if Decimal(1) <= value <= MAX_LEVERAGE:
        return Num(value, m.start("lo"), m.end("lo"))
    return None


def free_leverage(low: str, start: int, end: int) -> Num | None:
    """Leverage written without a label ("10x", "x20", "20倍"): the first one of 1..250."""
    if not _leverage_gate(low, start, end):
        return None  # both leverage patterns need what the gate looks for
    for _, _, m in LEV_FREE.finditer(low, start, end):
        group = "lo" if m.group("lo") else "lo2"
        raw = m.group(group)
        if raw is None:
            continue
        value = Decimal(raw)
        if Decimal(1) <= value <= MAX_LEVERAGE:
            return Num(value, m.start(group), m.end(group))
    return None


_LEV_X_DIGIT_RE: Final = re.compile(r"[xх]\s?\d")


def _leverage_gate(low: str, start: int, end: int) -> bool:
    """Whether ``re.search(r"\\d\\s*[xх倍]|[xх]\\s?\\d", low[start:end])`` finds a match (each
    match of ``LEV_FREE`` holds one), found from its "x"/"х"/"倍" (a search led by digits
    stopped at every digit of a signal): "x20" after it, or a digit before it past the spaces
    ("10x", "10 x", "20倍")."""
    if "x" not in low and "х" not in low and "倍" not in low:
        return False  # most posts
    if _LEV_X_DIGIT_RE.search(low, start, end) is not None:
        return True
    for mark in "xх倍":
        i = low.find(mark, start, end)
        while i >= 0:
            j = i - 1
            while j >= start and low[j].isspace():
                j -= 1
            if j >= start and low[j].isdecimal():
                return True
            i = low.find(mark, i + 1, end)
    return False
