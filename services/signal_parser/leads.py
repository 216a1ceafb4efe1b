"""Searches led by a declared class of first characters: the parser's regex speed-up.

Python's ``re`` skips ahead in C only when a pattern starts with a literal or a character class.
A pattern that starts with a lookbehind, ``\\b`` or a group of words is tried at every position
of the text. ``led`` puts the class of the characters a match can start with (its *lead*,
declared next to the pattern) in front, and tries the pattern itself only there, inside a
lookahead: ``[lead](?<=(?=(?P<_m>pattern))[\\s\\S])``; group ``_m`` spans the pattern's match.
This is public regular-expression syntax; measured gain in ``docs/PERFORMANCE-parser.md``.

Invariants: a lead holds every character a match of its pattern can start with (a part written
``AT_TEXT_START`` matches only at offset 0, ``^`` without MULTILINE), and no pattern matches
the empty string. Then a led search finds exactly what ``pattern.finditer`` finds, at the same
places. ``tests/unit/parser/test_leads.py`` checks every ``Led`` of the package on the corpus and
on every post of the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Final, NamedTuple

# the lead of a part that can match only at the start of the text
AT_TEXT_START: Final = "^"


class Part(NamedTuple):
    """One alternative of a led pattern and the characters its matches can start with, written
    as the inside of a character class (``"cs"``, ``r"\\d."``), or ``AT_TEXT_START``."""

    lead: str
    source: str


@dataclass(frozen=True, slots=True)
class Led:
    """A pattern, its declared parts, and the same pattern led by the class of their leads."""

    plain: re.Pattern[str]
    fast: re.Pattern[str]
    parts: tuple[Part, ...]
    # some part matches only at offset 0, where the lead class does not apply
    at_start: bool

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[tuple[int, int, re.Match[str]]]:
        """``(start, end, match)`` for each match, as ``plain.finditer`` finds them: each search
        goes on from the end of the previous match. ``match`` is of ``fast`` unless it was
        found at offset 0 by a part led by ``AT_TEXT_START``; group names are the same."""
        end = len(text) if endpos is None else endpos
        if self.at_start and pos == 0:
            m = self.plain.match(text, 0, end)
            if m is not None:
                yield m.start(), m.end(), m
                pos = m.end()
        search = self.fast.search
        while (m := search(text, pos, end)) is not None:
            s, e = m.span("_m")
            yield s, e, m
            pos = e


@cache
def _bmp() -> str:
    """Every character of the Basic Multilingual Plane, once (65,536 characters)."""
    return "".join(map(chr, range(0x10000)))


def ci_lead(words: Iterable[str]) -> str:
    """The lead of a case-insensitive alternation of ``words``: every character ``re`` takes,
    ignoring case, for the first letter of one ("S", "s" and "ſ" for "sell"; "С", "с" and
    "ᲃ" for "сатоши"), found by ``re`` itself over the Basic Multilingual Plane, where every
    case partner of a character of that plane lies (first letters beyond it are refused)."""
    firsts = {w[0] for w in words}
    if any(ord(ch) > 0xFFFF for ch in firsts):
        raise ValueError("ci_lead reads first letters of the Basic Multilingual Plane only")
    klass = "(?i:[" + "".join(re.escape(ch) for ch in sorted(firsts)) + "])"
    return "".join(re.escape(ch) for ch in sorted(set(re.findall(klass, _bmp()))))


def led_pattern(rx: re.Pattern[str], lead: str) -> Led:
    """``rx`` led by ``lead``: every character a match of ``rx`` can start with."""
    return _led(rx, (Part(lead, rx.pattern),))


def led_parts(*parts: Part) -> Led:
    """The alternation of ``parts`` (in order) led by the union of their leads."""
    return _led(re.compile("|".join(part.source for part in parts)), parts)


def _led(plain: re.Pattern[str], parts: tuple[Part, ...]) -> Led:
    for part in parts:
        if part.lead == AT_TEXT_START:
            continue
        # leads are joined into one class: each must stand alone ("a-" + "z" would be a range)
        if not part.lead or part.lead.startswith(("^", "-")) or part.lead.endswith("-"):
            raise ValueError(f"lead {part.lead!r} of {part.source!r} is not a class body")
        re.compile("[" + part.lead + "]")
    lead = "".join(part.lead for part in parts if part.lead != AT_TEXT_START)
    fast = re.compile("[" + lead + r"](?<=(?=(?P<_m>" + plain.pattern + r"))[\s\S])", plain.flags)
    return Led(plain, fast, parts, any(part.lead == AT_TEXT_START for part in parts))
