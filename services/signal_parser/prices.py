"""Price-like numbers of a post: which numbers in a stretch of text are prices, and line bounds.

Owns the rules that tell a price from the other numbers channels write next to one
(percentages, leverage, pips, DCA add-ons, list markers, times). Offsets are into the
normalised text (``Normalized.lower``, same length as ``Normalized.text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Final

from services.numbers import Ambiguous, Role, read
from services.signal_parser import lexicon_context as lctx
from services.signal_parser.normalize import NUMBER_RE, Normalized
from services.signal_parser.normalize import to_decimal as _read_token

# "5%", "5-10%"; not "0.00002250 -4.66%" (a price, then how far it is)
PERCENT_AFTER_RE: Final = re.compile(r"\s*%|-\d[\d.,]*\s*%")
LEV_AFTER_RE: Final = re.compile(r"\s*[xх](?![a-zа-я])")
# "50 pips", "20-50-100 Pips": every number of the chain is a distance
PIPS_AFTER_RE: Final = re.compile(
    r"(?:\s*[-/,&]\s*\d[\d.,]*)*\s*(?:pips?|pts|points?|пп|пункт\w*|پیپ)(?![a-z])"
)
DCA_AFTER_RE: Final = re.compile(r"\s*(?:附近)?\s*(?:補倉|补仓|加倉|加仓)")
TIME_AFTER_RE: Final = re.compile(r":\d\d")
# a duration or a multiple: "4 Horas", "4小時", "12-24 hours", "5-7 times" (leverage)
DURATION_AFTER_RE: Final = re.compile(
    r"(?:[ \t]*-[ \t]*\d+)?[ \t]*(?:小時|小时|分鐘|分钟|個月|个月"
    r"|(?:hours?|hrs?|horas?|ore|saat|giờ|час\w*|minutes?|mins?|minutos?|days?|d[ií]as"
    r"|times)(?![a-z]))"
)
# a ratio: "~2.67:1", "1:3", "1:1.6" (both sides small; "TP 1: 3500" has a space and an index)
RATIO_AFTER_RE: Final = re.compile(r":\d{1,2}(?:\.\d+)?(?![\d.,:])")
# the second term of a ratio: a number under 100
RATIO_RIGHT_RE: Final = re.compile(r"\d{1,2}(?:\.\d+)?")
# any of the seven above in one ``match`` (a match of an alternation = a match of one of them)
NOT_PRICE_AFTER_RE: Final = re.compile(
    "|".join(
        "(?:" + rx.pattern + ")"
        for rx in (
            PERCENT_AFTER_RE,
            LEV_AFTER_RE,
            PIPS_AFTER_RE,
            DCA_AFTER_RE,
            TIME_AFTER_RE,
            DURATION_AFTER_RE,
            RATIO_AFTER_RE,
        )
    )
)
# "1) 42000", "2. 43000": a list marker, not a price
MARKER_AFTER_RE: Final = re.compile(r"\s*(?:\)|\.\s)\s*(?:\S{0,3}\s*)?\$?\d")
# the same few tokens come back in every post ("1", "2", "42000"): read each once (a Decimal is
# immutable, so sharing one is safe); bounded, so a flood of distinct numbers cannot grow it
to_decimal: Final = lru_cache(maxsize=4096)(_read_token)
# a price and a number 10x off it are not two prices of one zone
MAGNITUDE: Final = 10
# the separators of a zone whose second bound may be abbreviated: "2350-48", "0.0000860 - 890"
ZONE_GAP_RE: Final = re.compile(r"-|/|_|~| - | / | ~ ")
RAW_DECIMAL_RE: Final = re.compile(r"\d+(?:\.\d+)?")


# "3.000", "2.910": a dot before exactly three digits
DOT_GROUPS_RE: Final = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
# a decimal point written with other than three decimals ("1.25", "0.5"; not the ratio "1:1.6")
OTHER_DECIMAL_RE: Final = re.compile(r"(?<![\d.,:])\d+\.(?:\d{1,2}|\d{4,})(?![\d.])")
DOT_LANGUAGE: Final = re.compile(
    r"(?<![^\W\d_])(?:" + "|".join(lctx.DOT_THOUSANDS_WORDS) + r")(?![^\W\d_])"
)
# how many words of those languages make a post one written in them
DOT_LANGUAGE_WORDS: Final = 8
# the last text asked about and its answer (one parse asks for many stretches of one text)
_DOT_LAST: list[tuple[str, bool]] = [("", False)]


@dataclass(slots=True)
class Num:
    """A price as written and its span in the normalised text."""

    value: Decimal
    start: int
    end: int


def numbers(n: Normalized, start: int, end: int) -> list[Num]:
    """Price-like numbers in ``text[start:end]``: no percentages, leverage, list markers, times,
    durations or ratios."""
    low = n.lower
    out: list[Num] = []
    not_price = NOT_PRICE_AFTER_RE.match
    # a label's segment is short: ``finditer`` in C beats the skipping led search loop
    for m in NUMBER_RE.finditer(low, start, end):
        s, e = m.span()
        # percentages, leverage, "50 pips" (a distance), DCA add-ons, times, durations, ratios
        if not_price(low, e) is not None:
            continue
        tok = m.group()
        if (
            s > start + 1
            and low[s - 1] == ":"
            and low[s - 2].isdigit()
            and RATIO_RIGHT_RE.fullmatch(tok)
        ):
            continue  # "1:3": the second term of a ratio
        # a marker has at most two digits or a bracket before it: most prices skip the call
        if tok.isdigit() and (len(tok) <= 2 or low[s - 1 : s] == "(") and _marker(low, s, e, tok):
            continue
        value = to_decimal(tok)
        if value is None:
            continue
        # a dot group ends in a dot and three digits: the slice test spares most tokens the match
        if tok[-4:-3] == "." and DOT_GROUPS_RE.fullmatch(tok) and dot_thousands(low):
            value = _grouped(tok)  # "3.000-3.025" in an Italian post
        if out:
            gap = low[out[-1].end : s]
            # most gaps are a space or a dash: the rules below need a bracket, a sign or digits
            if ("(" in gap or "[" in gap or "+" in gap or gap.endswith(" -")) and _annotation(
                low, out[-1], s, value
            ):
                continue
            if tok.isdigit():
                abbreviated = _abbreviation(low, out, s, tok, value)
                if abbreviated is not None:
                    value = abbreviated
        out.append(Num(value, s, e))
    return out


def _marker(low: str, s: int, e: int, tok: str) -> bool:
    """A list marker ("1) 42000", "2. 43000") or a bracketed number ("(2)")."""
    if len(tok) <= 2 and MARKER_AFTER_RE.match(low, e):
        return True
    return s > 0 and low[s - 1] == "(" and low[e : e + 1] == ")"


def _grouped(tok: str) -> Decimal:
    """A dot-grouped token ("3.000") read by the one number reader with its dots as thousands
    (a typed price reads it both ways; the post's language decided it is grouped)."""
    reading = read(tok, Role.PRICE)
    assert reading is not None  # DOT_GROUPS_RE matched it: digits in groups of three
    value = reading.value
    return value.grouped if isinstance(value, Ambiguous) else value


def dot_thousands(low: str) -> bool:
    """Whether ``low`` groups thousands with a dot ("3.000", "2.910"): a post written in a
    language that does (Italian, Portuguese, Spanish, German, Turkish, Indonesian, Romanian)
    whose every decimal point stands before exactly three digits."""
    last = _DOT_LAST[0]
    if last[0] is low:
        return last[1]
    answer = (
        OTHER_DECIMAL_RE.search(low) is None
        and len(DOT_LANGUAGE.findall(low)) >= DOT_LANGUAGE_WORDS
    )
    _DOT_LAST[0] = (low, answer)
    return answer


def _annotation(low: str, prev: Num, start: int, value: Decimal) -> bool:
    """A number after a price that says something about it: a signed distance ("1.0670 +70",
    "1.0810 -70"), or anything in brackets ("1263.19 [Risk to reward ratio 2.23]")."""
    gap = low[prev.end : start]
    if ("(" in gap or "[" in gap) and gap.count("(") + gap.count("[") > gap.count(")") + gap.count(
        "]"
    ):
        return True
    if gap.endswith("+"):
        return True
    return bool(
        gap.endswith(" -") and (value >= prev.value * MAGNITUDE or value * MAGNITUDE <= prev.value)
    )


def _abbreviation(
    low: str, out: list[Num], start: int, tok: str, value: Decimal
) -> Decimal | None:
    """The price an abbreviated bound stands for: digits that replace the last digits of the
    first price of the run ("2350-48" is 2348, "1.0850-60" is 1.0860, "0.00002150 - 2180" is
    0.00002180); None when ``tok`` is a price of its own."""
    anchor = out[0]
    prev = out[-1]
    if not tok.isdigit() or not ZONE_GAP_RE.fullmatch(low, prev.end, start):
        return None
    if anchor.value * MAGNITUDE > value > anchor.value / MAGNITUDE:
        return None  # same magnitude: a price of its own
    raw = low[anchor.start : anchor.end]
    if not RAW_DECIMAL_RE.fullmatch(raw):
        return None
    digits = raw.replace(".", "")
    if len(tok) >= len(digits):
        return None
    point = raw.find(".")
    new = digits[: len(digits) - len(tok)] + tok
    text = new if point < 0 else new[:point] + "." + new[point:]
    return to_decimal(text)


def line_bounds(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every line of ``text``, newlines excluded."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        out.append((pos, end))
        pos = end + 1
    return out


def line_start(text: str, pos: int) -> int:
    """Offset of the start of the line holding ``pos``."""
    return text.rfind("\n", 0, pos) + 1


def line_end(text: str, pos: int) -> int:
    """Offset of the end of the line holding ``pos`` (its newline, or the end of the text)."""
    end = text.find("\n", pos)
    return len(text) if end < 0 else end
