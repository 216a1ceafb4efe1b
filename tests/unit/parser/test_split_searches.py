"""Searches the parser splits for speed find what the one pattern they replace finds.

``updates._profit_match`` searches ``PROFIT`` in two steps (its letter-led parts over the text,
its digit-led part from where that can start); ``labels.SHORT_ENTRY_PARTS`` are one pattern
per short entry word; ``levels._leverage_gate`` finds "10x" / "x20" from the "x". Each is
compared with the single search on the dev corpus, on every post of ``tests/corpus`` and on
random strings built from the characters that matter.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from services.signal_parser import labels, levels, updates
from services.signal_parser import lexicon as lx
from services.signal_parser.normalize import normalize

# what ``levels._leverage_gate`` answers: whether this finds a match
LEVERAGE_GATE_RE = re.compile(r"\d\s*[xх倍]|[xх]\s?\d")
ROOT = Path(__file__).resolve().parents[3]
FILES = [
    ROOT.parent / "shared" / "corpus" / "dev.jsonl",
    *sorted((ROOT / "tests/corpus").glob("*.jsonl")),
]


def _texts() -> list[str]:
    out: list[str] = []
    for path in FILES:
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                out.extend(
                    normalize(json.loads(line)["text"]).lower for line in fh if line.strip()
                )
    return out


def _random(pieces: list[str], count: int) -> list[str]:
    rng = random.Random(11)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(count)]


def _span(m: re.Match[str] | None) -> tuple[int, int] | None:
    return None if m is None else m.span("_m")


def test_the_profit_search_in_two_steps_finds_what_the_pattern_finds() -> None:
    pieces = [*"profit%: +-.,0123456789 \n\twlg", "profit", "% profit", "www", "прибыль", "lucro"]
    pieces += ["ganancia", "12.5%", " 3,4 ", "\u0660", "\u2003"]
    for text in _texts() + _random(pieces, 20_000):
        assert _span(updates._profit_match(text)) == _span(updates.PROFIT.fast.search(text)), text


def test_the_short_entry_words_one_pattern_each_find_what_their_alternation_finds() -> None:
    alternation = re.compile("(?:" + "|".join(rx.pattern for rx in labels.SHORT_ENTRY_PARTS) + ")")
    assert len(labels.SHORT_ENTRY_PARTS) == len(lx.SHORT_ENTRY_WORDS)
    pieces = [*"enat :@>$1.\n\t x", "en", "at", "en 5", "at 1.5", " en@2"]
    for text in _texts() + _random(pieces, 20_000):
        want = [m.span() for m in alternation.finditer(text)]
        got = sorted(m.span() for rx in labels.SHORT_ENTRY_PARTS for m in rx.finditer(text))
        assert got == want, text


def test_the_leverage_gate_found_from_its_x_is_the_led_search() -> None:
    pieces = [*"xх倍0123456789 \t\n\u2003\u0660²abc.-", "10x", "x 5", "5 \n x", "next"]
    rng = random.Random(5)
    for text in _texts() + _random(pieces, 20_000):
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text))
        for lo, hi in ((0, len(text)), (start, end)):
            want = LEVERAGE_GATE_RE.search(text, lo, hi) is not None
            assert levels._leverage_gate(text, lo, hi) == want, (text, lo, hi)
