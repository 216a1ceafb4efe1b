"""``leads.ci_lead`` holds every character ``re`` takes, ignoring case, for a first letter.

A led search finds what its plain pattern finds only when the lead holds every character a
match can start with; for a case-insensitive pattern that includes the case partners ``re``
knows beyond ``str.upper``/``str.lower`` ("ſ" for "s", "ᲃ" for "с"). ``ci_lead`` looks for
them in the Basic Multilingual Plane; these tests look in every plane.
"""

from __future__ import annotations

import re

import pytest

from services.signal_parser import lexicon_coins as lc
from services.signal_parser import pairs
from services.signal_parser.leads import ci_lead

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


@pytest.mark.parametrize(
    "words",
    [
        pytest.param(tuple(lc.COIN_NAMES), id="coin names"),
        pytest.param(pairs._SIDE_TOKEN_WORDS, id="side words"),
    ],
)
def test_lead_holds_every_case_partner_of_a_first_letter(words: tuple[str, ...]) -> None:
    lead = re.compile("[" + ci_lead(words) + "]")
    firsts = "".join(sorted({re.escape(w[0]) for w in words}))
    partners = set(re.findall("(?i:[" + firsts + "])", EVERY_CHARACTER))
    missing = sorted(ch for ch in partners if not lead.fullmatch(ch))
    assert not missing, f"lead misses {missing!r}"
    assert "ſ" in partners or "s" not in firsts.lower()  # the partner str.lower does not give


def test_first_letters_beyond_the_basic_plane_are_refused() -> None:
    with pytest.raises(ValueError, match="Basic Multilingual Plane"):
        ci_lead(["𐐀bc"])


@pytest.mark.parametrize(
    ("text", "base"),
    [("ſolana long entry 100 tp 110 sl 90", "SOL"), ("Solana long entry 100 tp 110 sl 90", "SOL")],
)
def test_a_coin_name_matched_by_a_case_partner_is_read(text: str, base: str) -> None:
    """The named-coin search ignores case, so it also matches "ſolana" ("ſ" is "s" to
    ``re``); the name is then looked up case-folded, not dropped by a parser error."""
    from services.signal_parser import parse

    read = parse(text)
    assert (read.kind.value, read.base) == ("entry", base)
