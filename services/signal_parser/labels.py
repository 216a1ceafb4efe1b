"""Level labels: the words that introduce entry, targets, stop, leverage and DCA prices.

Owns the label table (built from ``lexicon``) and when a bare side word, "@" or "exit" counts
as a label: only when a price follows it ("LONG : 0.027", "@ 144.2", "EXIT: 0.212",
"#SOL buy 124"), or for a side word opening a line with a number after a space ("Sell 250 300",
Cornix free text).
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Final

from services.signal_parser import lexicon as lx
from services.signal_parser.keywords import Hit, Scanner, new_hit

_LABEL_MAP: dict[str, str] = {}
for _kind, _words in (
    ("lev", lx.LEVERAGE_WORDS),
    ("target", lx.TARGET_WORDS),
    ("stop", lx.STOP_WORDS),
    ("entry", lx.ENTRY_WORDS),
    ("dca", lx.DCA_WORDS),
):
    _LABEL_MAP.update(dict.fromkeys(_words, _kind))
_LABEL_MAP.update(
    dict.fromkeys(("long", "short", "buy", "sell", "лонг", "шорт", "@"), "sidelabel")
)
_LABEL_MAP["exit"] = "exitlabel"  # "EXIT: 0.212 , 0.218": targets, only with a price after it
# words that introduce a price only when one follows: "EN 1.0740", "Short from 1.2615",
# "Sell limit: 1314.68", "at 1.5630" opening a line
LABELS: Final = Scanner(_LABEL_MAP)


def _words_first(words: tuple[str, ...], not_before: str) -> str:
    """An alternation of ``words`` (in order), each followed by a lookbehind that rejects it when
    the character before it is in ``not_before``: the same as the lookbehind written in front,
    but the pattern then starts with the words' letters and ``re`` skips to those in C."""
    return "|".join(
        re.escape(w) + "(?<!" + not_before + r"[\s\S]{" + str(len(w)) + "})" for w in words
    )


# the weak words have a regex of their own, run only on posts holding one (substring tests in
# C): in the scanner their first letters would make it stop at many more places of every post
WEAK_ENTRY_RE: Final = re.compile(
    "(?P<w>"
    + _words_first(tuple(sorted(lx.WEAK_ENTRY_WORDS, key=len, reverse=True)), r"[^\W\d_]")
    + r")(?![^\W\d_])"
)
_WEAK_GATES: Final = tuple({w.split()[-1] for w in lx.WEAK_ENTRY_WORDS})
# "en" and "at" are inside many words: a regex of their own, run only when one opens a word
# ("EN 1.0740", "En@143.50", "at 1.5630" opening a line), with the price it needs after it. One
# pattern per word: each starts with its two letters, which ``re`` looks for as a literal in C
# (in one alternation they are a class of first letters, and ``re`` stops at every "e" and
# "a"); the words cannot overlap, so their matches together are the alternation's
SHORT_ENTRY_PARTS: Final = tuple(
    re.compile("(?:" + _words_first((word,), r"[^\s@:>]") + r")(?=[ \t]*[:@]?[ \t]*\$?\d)")
    for word in lx.SHORT_ENTRY_WORDS
)
# a short word opens the text or follows a space, a newline, "@" or ":": the short entry
# labels are read only in a post with one
_SHORT_GATE: Final = re.compile(_words_first(lx.SHORT_ENTRY_WORDS, "[^ \n@:]"))
_SHORT_GATE_BEFORE: Final = " \n@:"

# "T1 : 47", "T 2: 1380": a bare "t" is a target label only with its number and a colon; a
# regex of its own (led by the letter, so ``re`` skips in C) keeps "t" out of the scanner, where
# it would stop at every "t" of the text
TNUM_RE: Final = re.compile(r"t(?<![^\W\d_]t)(?=[ \t]?\d{1,2}[ \t]*[:\-=)](?!\d\d))")
# what every "T1:" match holds: looked for first, most posts have none ("t" is frequent)
_TNUM_GATE: Final = re.compile(r"t[ \t]?\d")
# connectors that belong to the label before them: "SL @ 1.2", "take profit@ 1.1", "Stop at 9"
CONNECTORS: Final = frozenset(("@", "at", "from"))
GAP_RE: Final = re.compile(r"[^\w\n]*")
# an emoji written as its name may stand between ("Price  checkered_flag : 1.6780")
WEAK_AFTER_RE: Final = re.compile(
    r"[ \t]*(?:[a-z]+(?:_[a-z]+)+[ \t]*)?[:@>\-]*[ \t]*[({\[]?[ \t]*\$?\d"
)
# a bare side word or "@" is an entry label only when a price follows: "LONG : 0.027", "@ 144.2"
SIDE_LABEL_AFTER_RE: Final = re.compile(r"\s*[:@]\s*\$?\s*\d")
AT_AFTER_RE: Final = re.compile(r"\s*\$?\s*\d")
# "Sell 250 300" opening a line (Cornix free text): a label even without a colon
LINE_HEAD_RE: Final = re.compile(r"(?:^|\n)[^\w\n]{0,4}$")
SPACE_NUMBER_RE: Final = re.compile(r"[ \t]+\$?\d")
# "#SOL buy 124", "buy 0.13-0.135 sell 0.14": a side word and a price (not "long 10x", "sell 50%")
SIDE_PRICE_AFTER_RE: Final = re.compile(r"[ \t]+\$?\d[\d.,]*(?![\d.,]*[ \t]*(?:[xх%倍]|pips?\b))")

_hit_start: Final = itemgetter(2)  # ``Hit.start``, without a Python frame per hit
Label = tuple[str, int, int]
"""``(kind, start, end)``: kind is one of lev, target, stop, entry, dca."""


# the labels of the last text read: one parse asks for the labels of several stretches of the
# same text, and they are read once. One tuple, replaced whole, so a reader never sees a text
# with another text's labels.
_LAST: list[tuple[str, list[Label]]] = [("", [])]


def labels(low: str, start: int, end: int) -> list[Label]:
    """The labels in ``low[start:end]``, in order."""
    last = _LAST[0]
    if last[0] is not low:
        last = (low, _read_labels(low))
        _LAST[0] = last
    found = last[1]
    if start <= 0 and end >= len(low):
        return found[:]  # the whole text: every label
    return [x for x in found if start <= x[1] and x[2] <= end]


def _hits(low: str) -> list[Hit]:
    """Every label word of ``low`` in text order: the scanner's, "en"/"at", "T1:"."""
    hits = LABELS.finditer(low)
    extra: list[Hit] = []
    if any(map(low.__contains__, _WEAK_GATES)):  # substring tests in C, no Python frame
        extra.extend(
            new_hit(Hit, ("weakentry", m.group("w"), m.start(), m.end()))
            for m in WEAK_ENTRY_RE.finditer(low)
        )
    extra.extend(_short_hits(low))
    if _TNUM_GATE.search(low) is not None:
        extra.extend(new_hit(Hit, ("target", "t", *m.span())) for m in TNUM_RE.finditer(low))
    return sorted(hits + extra, key=_hit_start) if extra else hits


def _short_hits(low: str) -> list[Hit]:
    """The short entry labels ("EN 1.0740", "at 1.5630") in text order, when ``_SHORT_GATE``
    finds a short word (a match after a space, a newline, "@" or ":" is one)."""
    spans = [m.span() for rx in SHORT_ENTRY_PARTS for m in rx.finditer(low)]
    if not spans:
        return []
    if (
        not any(s == 0 or low[s - 1] in _SHORT_GATE_BEFORE for s, _ in spans)
        and _SHORT_GATE.search(low) is None
    ):
        return []
    spans.sort()
    return [new_hit(Hit, ("weakentry", low[s:e], s, e)) for s, e in spans]


def _read_labels(low: str) -> list[Label]:
    out: list[Label] = []
    last_end = -1
    for h in _hits(low):
        kind = h.kind
        if (
            h.word in CONNECTORS
            and last_end >= 0
            and (gap := GAP_RE.match(low, last_end, h.start)) is not None
            and gap.end() == h.start
        ):
            last_end = h.end  # "SL @ 1.2": the "@" belongs to "SL"
            continue
        if kind == "stop" and low[max(0, h.start - 10) : h.start].rstrip().endswith("trailing"):
            continue  # "TP : Trailing STOP or 1.4910": a way to exit, not the stop loss
        if kind == "weakentry":
            if not _weak_word_is_label(low, h.word, h.start, h.end):
                continue
            kind = "entry"
        elif kind == "sidelabel":
            if not _side_word_is_label(low, h.word, h.start, h.end):
                continue
            kind = "entry"
        elif kind == "exitlabel":
            if not SIDE_LABEL_AFTER_RE.match(low, h.end):
                continue
            kind = "target"
        out.append((kind, h.start, h.end))
        last_end = h.end
    return out


def _weak_word_is_label(low: str, word: str, start: int, end: int) -> bool:
    if not WEAK_AFTER_RE.match(low, end):
        return False
    # "at 1.5630", "Price: 1.678" opening a line; not "Current Price: $1670.55"
    return word not in ("at", "price") or bool(LINE_HEAD_RE.search(low, max(0, start - 5), start))


def _side_word_is_label(low: str, word: str, start: int, end: int) -> bool:
    after = AT_AFTER_RE if word == "@" else SIDE_LABEL_AFTER_RE
    if after.match(low, end):
        return True
    if word == "@":
        return False
    if SIDE_PRICE_AFTER_RE.match(low, end):
        return True
    return bool(
        SPACE_NUMBER_RE.match(low, end) and LINE_HEAD_RE.search(low, max(0, start - 5), start)
    )
