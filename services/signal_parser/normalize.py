"""Text normalisation that keeps a map back to the original offsets.

Most rewrites are one character for one character (``str.translate``: Unicode digits, full-width
forms, dashes, quotes, odd spaces) or same-length blanking (markdown, links, URLs, HTML tags), so
offsets stay put. The few that change the length (zero-width characters, HTML entities, spaces
inserted between words glued together by a flattened export) are recorded as edits and
``Normalized.to_orig`` maps a normalised offset back through them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Final

from services.numbers import Role, read_number
from services.signal_parser.leads import led_pattern


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x80, 0x10000):
        ch = chr(cp)
        if unicodedata.category(ch) == "Nd":
            table[cp] = str(unicodedata.decimal(ch))
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0)
    for cp in range(0x1D400, 0x1D800):  # mathematical bold/italic letters and digits
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1 and folded.isascii() and folded.isalnum():
            table[cp] = folded
    for cp in range(0x2460, 0x2474):  # circled 1..20: keep single digits only
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1:
            table[cp] = folded
    for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u2e3a\u301c\uff5e":
        table[ord(ch)] = "-"
    for ch in "\u2018\u2019\u201a\u201b\u2032":
        table[ord(ch)] = "'"
    for ch in "\u201c\u201d\u201e\u201f\u00ab\u00bb":
        table[ord(ch)] = '"'
    for ch in "\u00a0\u1680\u202f\u205f\u3000\u2028\u2029\t" + "".join(
        chr(c) for c in range(0x2000, 0x200B)
    ):
        table[ord(ch)] = " "
    table.update(
        {
            0x3001: ",",  # 、
            0x3002: ".",  # 。
            0x066B: ".",  # Arabic decimal separator
            0x066C: ",",  # Arabic thousands separator
            0x060C: ",",  # Arabic comma
            0x061B: ";",  # Arabic semicolon
            0x2044: "/",  # fraction slash
            0x2215: "/",  # division slash
            0x0130: "I",  # Turkish dotted capital I: its lower() is two characters
            0x20E3: ")",  # combining keycap: "1️⃣" reads as a list marker "1)"
            0x00D7: "x",  # multiplication sign, used for leverage
            0x2024: ".",
            0xFE52: ".",
            0xFF0E: ".",
            0x3010: "[",
            0x3011: "]",
        }
    )
    return table


TRANSLATE: Final = _build_table()


def _char_class(codepoints: list[int]) -> str:
    """A regex character class covering ``codepoints`` as compact ranges."""
    parts: list[str] = []
    cps = sorted(codepoints)
    start = prev = cps[0]
    for cp in [*cps[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        start = prev = cp
    return "[" + "".join(parts) + "]"


# translate() looks every character up in a dict; most posts hold few of these characters, and
# replacing just those is cheaper. ``re`` checks a class of Basic Multilingual Plane characters
# with one table lookup but tries the astral ranges (mathematical letters) one by one, so those
# are looked for only when a character of their block is there at all
_TRANSLATABLE_BMP: Final = re.compile(_char_class([c for c in TRANSLATE if c < 0x10000]))
_ASTRAL_KEYS: Final = [c for c in TRANSLATE if c >= 0x10000]
_ASTRAL_BLOCK: Final = re.compile(
    "[" + re.escape(chr(min(_ASTRAL_KEYS))) + "-" + re.escape(chr(max(_ASTRAL_KEYS))) + "]"
)
_TRANSLATABLE_ASTRAL: Final = re.compile(_char_class(_ASTRAL_KEYS))


def _translate_one(m: re.Match[str]) -> str:
    return TRANSLATE[ord(m.group())]


def _translate(text: str) -> str:
    """``text.translate(TRANSLATE)``; a post holds few such characters, and replacing just those
    is several times faster than ``translate`` looking up every character."""
    if _ASTRAL_BLOCK.search(text) is not None:
        return text.translate(TRANSLATE) if _TRANSLATABLE_ASTRAL.search(text) else _sub_bmp(text)
    return _sub_bmp(text)


def _sub_bmp(text: str) -> str:
    return _TRANSLATABLE_BMP.sub(_translate_one, text)


_LABEL_GLUE: Final = (
    r"(?:Entry|Entries|Targets?|Take|Stop|SL|TP\d?|Leverage|Period|Profit|Pair|Exchange|"
    r"Trailing|Direction|Side|Coin|Symbol)(?=[\s:(\d#]|$)"
)
# flattened all-caps posts: "LONGLEVERAGE:2x"
_UPPER_GLUE: Final = r"(?:LEVERAGE|ENTRY|TARGETS?|STOP)(?=[\s:(\d#]|$)"
_EDIT_RE: Final = re.compile(
    r"(?P<zw>[\u200b-\u200f\u2060-\u2064\ufeff\ufe0e\ufe0f\u00ad\u180e\u202a-\u202e\u2066-\u2069]+)"
    r"|(?P<link>\[(?P<ltext>[^\[\]\n]{1,300})\]\((?:https?|tg)://[^)\s]{0,500}\))"
    r"|(?P<url>(?:https?://|tg://|www\.|t\.me/)[^\s<>\"]{1,500})"
    r"|(?P<br><br\s*/?>)"
    r"|(?P<tag></?[a-zA-Z][a-zA-Z0-9]{0,10}(?:\s[^<>\n]{0,300})?/?>)"
    r"|(?P<md>\*\*+|__+|~~+|`+|\|\|)"
    r"|(?P<ent>&(?:[a-zA-Z]{2,8}|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});)"
)
# the characters an _EDIT_RE match can start with
_EDIT_LEAD: Final = (
    "\u200b-\u200f\u2060-\u2064\ufeff\ufe0e\ufe0f\u00ad\u180e\u202a-\u202e\u2066-\u2069"
    "\\[<*_~`|&hwt"
)
# ``_EDIT_RE`` led by them: its alternatives are named groups, so ``re`` would try it at every
# place of the text (20 us on a post with markdown or a link); led, it skips ahead in C
_EDIT: Final = led_pattern(_EDIT_RE, _EDIT_LEAD)
_EDIT_KINDS: Final = ("zw", "link", "url", "br", "tag", "md", "ent")
# where an _EDIT_RE match can start; no match starts before the first hit of this gate
_NEEDS_EDIT: Final = re.compile(
    r"[\u200b-\u200f\u2060-\u2064\ufeff\ufe0e\ufe0f\u00ad\u180e\u202a-\u202e\u2066-\u2069"
    r"\[<*_~`|&]|https?:|www\.|t\.me/|tg://"
)
# ``_NEEDS_EDIT`` led by the class of the characters its matches can start with
_NEEDS_EDIT_AT: Final = re.compile(
    "[" + _EDIT_LEAD + r"](?<=(?=" + _NEEDS_EDIT.pattern + r")[\s\S])"
)
# words glued to a label by a flattened export ("0.345Targets", "LONGLeverage", "LONGLEVERAGE"):
# a space goes after the character matched here. A leading character class lets ``re`` scan in C.
_GLUE_RE: Final = re.compile(
    r"[a-z0-9%A-Z](?=[ETSLPDC])(?:(?=" + _LABEL_GLUE + r")|(?=" + _UPPER_GLUE + r"))"
)
# the same places found from the capital that starts the label (capitals are rarer than the
# letters and digits before them, so ``re`` skips ahead in C): the match is that capital
_GLUE_AT_RE: Final = re.compile(
    r"[ETSLPDC](?<=[a-z0-9%A-Z][ETSLPDC])"
    r"(?<=(?:(?=" + _LABEL_GLUE + r")|(?=" + _UPPER_GLUE + r"))[ETSLPDC])"
)


def _glue_points(text: str) -> list[int]:
    out: list[int] = []
    for m in _GLUE_AT_RE.finditer(text):
        pos = m.start()
        ch = text[pos - 1]
        if ch.isupper():
            if text.startswith(("LEVERAGE", "ENTRY", "TARGET", "STOP"), pos):
                if not text.endswith(("LONG", "SHORT"), 0, pos):
                    continue
            elif pos < 2 or not text[pos - 2].isupper() or not text[pos - 2].isascii():
                continue
        out.append(pos)
    return out


_edit_start: Final = itemgetter(0)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text plus what is needed to map offsets back to the original."""

    text: str
    lower: str
    original: str
    # (norm_start, norm_end, orig_start, orig_end) for every length-changing edit, sorted
    edits: tuple[tuple[int, int, int, int], ...]

    def to_orig(self, pos: int) -> int:
        """Map an offset in ``text`` to the matching offset in ``original``."""
        if not self.edits:
            return pos
        idx = bisect_right(self.edits, pos, key=_edit_start) - 1
        if idx < 0:
            return pos
        n_start, n_end, o_start, o_end = self.edits[idx]
        if pos < n_end:
            return min(o_start + (pos - n_start), o_end)
        return min(o_end + (pos - n_end), len(self.original))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``(start, end)`` span of ``text`` onto ``original``."""
        if not self.edits:  # offsets are the same in both
            return (start, end) if end > start else (start, start)
        o_start = self.to_orig(start)
        if end <= start:
            return (o_start, o_start)
        return (o_start, max(o_start, self.to_orig(end - 1) + 1))


# letters that look alike in Latin and Cyrillic: "Cтоп" (Latin C), "Вхoд" (Latin o)
_CYR_LOOKS: Final = "аеорсухкмтнвАЕОРСУХКМТНВ"
_LAT_LOOKS: Final = "aeopcyxkmthbAEOPCYXKMTHB"
_TO_LATIN: Final = str.maketrans(_CYR_LOOKS, _LAT_LOOKS)
_TO_CYRILLIC: Final = str.maketrans(_LAT_LOOKS, _CYR_LOOKS)
_CYRILLIC_RE: Final = re.compile("[\u0400-\u04ff]")
_MIXED_WORD_RE: Final = re.compile(
    "[A-Za-z\u0400-\u04ff]*(?:[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z])"
    "[A-Za-z\u0400-\u04ff]*"
)


def _one_script(m: re.Match[str]) -> str:
    """A word mixing Latin and Cyrillic letters, written in the script most of it is in."""
    word = m.group()
    cyrillic = len(_CYRILLIC_RE.findall(word))
    return word.translate(_TO_CYRILLIC if cyrillic * 2 >= len(word) else _TO_LATIN)


# a Latin letter touching a Cyrillic one, led by a class so ``re`` finds it in C: by the Latin
# letter (in a post with Cyrillic, Latin letters are the fewer: tickers, "TP"), and only in a
# post that has a Cyrillic letter at all
_MIX_POINT_RE: Final = re.compile("[A-Za-z](?:(?<=[\u0400-\u04ff][A-Za-z])|(?=[\u0400-\u04ff]))")


def _fold_mixed_scripts(text: str) -> str:
    """Same length: every replacement is one letter for one letter, so offsets stay put."""
    if _CYRILLIC_RE.search(text) is None or _MIX_POINT_RE.search(text) is None:
        return text
    return _MIXED_WORD_RE.sub(_one_script, text)


def _edit_kind(m: re.Match[str]) -> str:
    """Which alternative of ``_EDIT_RE`` matched (the led match's last group is its own)."""
    for kind in _EDIT_KINDS:  # a loop, not a generator: most posts have a few of these each
        if m.start(kind) >= 0:
            return kind
    raise AssertionError("an _EDIT_RE match holds one of its groups")


def normalize(text: str) -> Normalized:
    """Normalise a post for matching; never raises on any ``str``."""
    base = _fold_mixed_scripts(_translate(text))
    gate = _NEEDS_EDIT_AT.search(base)
    glue = _glue_points(base)
    if gate is None and not glue:
        return Normalized(base, base.lower(), text, ())
    found: list[tuple[int, int, str, re.Match[str] | None]] = []
    if gate is not None:
        found = [(s, e, _edit_kind(m), m) for s, e, m in _EDIT.finditer(base, gate.start())]
    if glue:
        found.extend((pos, pos, "glue", None) for pos in glue)
        found.sort(key=lambda x: x[0])
    pieces: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    last = 0
    npos = 0
    for start, end, kind, m in found:
        if start < last:
            continue  # a glue point inside a link, URL or tag
        if m is None:
            repl = " "
        elif kind == "link":
            ltext = m.group("ltext")
            repl = " " + ltext + " " * (end - start - 1 - len(ltext))
        elif kind == "br":
            repl = "\n" + " " * (end - start - 1)
        elif kind in ("url", "tag", "md"):
            repl = " " * (end - start)
        elif kind == "ent":
            repl = html.unescape(base[start:end]).translate(TRANSLATE)
        else:  # zero-width characters
            repl = ""
        pieces.append(base[last:start])
        npos += start - last
        if len(repl) != end - start:
            edits.append((npos, npos + len(repl), start, end))
        pieces.append(repl)
        npos += len(repl)
        last = end
    pieces.append(base[last:])
    out = "".join(pieces)
    return Normalized(out, out.lower(), text, tuple(edits))


# A number as channels write it: thousands separators, comma decimals, a leading dot, a k suffix.
# Atomic group: "11.563SL" must not be read as "11.56"; "27.02.2026" is not a number. Thousands
# groups need a leading non-zero digit and end at a non-digit: "0,4512" is a decimal comma. A
# comma before a number with a decimal point separates two prices: "132.650,133.000".
# Every match starts with a digit or a dot: that character comes first, as a class, so ``re``
# skips to it in C (a pattern led by lookbehinds is tried at every position, 2x slower); the
# checks on what precedes it are lookbehinds one character longer, and each alternative checks
# the character it starts with ("[1-9]\d{0,2}" reads "(?<=[1-9])\d{0,2}" after it).
NUMBER_PATTERN: Final = (
    r"[\d.]"
    r"(?<![A-Za-z0-9\u0400-\u04ff][\d.])(?<![0-9]\.[\d.])"
    r"(?:(?<![0-9],[\d.])|(?<=\d)(?=\d*\.\d))"
    r"(?>(?<=[1-9])\d{0,2}(?:,\d{3})+(?!\d)(?:\.\d+)?|(?<=\d)\d{0,2}(?:\.\d{3})+,\d+(?!\.?\d)"
    r"|(?<=\d)\d*(?:[.,]\d+)?|(?<=\.)\d+)"
    r"(?P<k>[kK](?![A-Za-z]))?"
    r"(?![A-Za-z0-9\u0400-\u04ff]|\.\d|,\d(?!\d*\.\d))"
)
NUMBER_RE: Final = re.compile(NUMBER_PATTERN)


def to_decimal(token: str) -> Decimal | None:
    """Convert one number token (as matched by ``NUMBER_RE``) to a Decimal, as written: the
    project's one number reader (``services.numbers``) in its signal role."""
    value = read_number(token, Role.SIGNAL)
    return value if isinstance(value, Decimal) else None


def numbers_in(text: str) -> set[Decimal]:
    """Every number written in ``text`` after normalisation (used to validate model answers)."""
    norm = normalize(text).text
    out: set[Decimal] = set()
    for m in NUMBER_RE.finditer(norm):
        value = to_decimal(m.group())
        if value is not None:
            out.add(value)
    return out
