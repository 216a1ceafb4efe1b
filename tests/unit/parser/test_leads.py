"""Every led search of the parser finds exactly what its plain pattern finds.

``services.signal_parser.leads`` puts a declared class of first characters in front of a
pattern so ``re`` can skip ahead in C. A lead that misses a character a match can start with
would silently lose matches; these tests fail loudly, naming the part and the character, when a
pattern is edited and its lead is not. They read the dev corpus and every string of the parser
tests, as written and normalised to lower case (what the parser scans).
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import services.signal_parser as package
from services.signal_parser.leads import AT_TEXT_START, Led, Part, led_parts, led_pattern
from services.signal_parser.normalize import normalize

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[2].parent / "shared" / "corpus" / "dev.jsonl"


def _found(value: Any, name: str) -> Iterator[tuple[str, Led]]:
    if isinstance(value, Led):
        yield name, value
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            yield from _found(item, f"{name}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _found(item, f"{name}[{key!r}]")


def _leds() -> list[tuple[str, Led]]:
    """Every ``Led`` held by a module of the package (in a constant, a tuple or a dict), once."""
    out: dict[int, tuple[str, Led]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for attr, value in vars(module).items():
            for name, led in _found(value, f"{info.name}.{attr}"):
                out.setdefault(id(led), (name, led))
    return list(out.values())


LEDS = _leds()


@cache
def _texts() -> tuple[str, ...]:
    raw: list[str] = []
    if CORPUS.exists():
        with CORPUS.open(encoding="utf-8") as fh:
            raw.extend(json.loads(line)["text"] for line in fh if line.strip())
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                raw.append(node.value)
    texts = dict.fromkeys(raw)
    texts.update(dict.fromkeys(normalize(t).lower for t in raw))
    return tuple(texts)


def _ends(text: str, source: str) -> list[int]:
    """Where to end the text: at its end and, for a pattern that needs the end (``$``, searched
    in a window before a match), also before each word."""
    if "$" not in source:
        return [len(text)]
    return [len(text), *(j for j in range(1, len(text)) if text[j - 1].isspace())]


def test_the_parser_has_led_searches() -> None:
    names = {name.split("[")[0] for name, _ in LEDS}
    assert len(LEDS) >= 10, names
    assert any(led.at_start for _, led in LEDS)


@pytest.mark.parametrize(("name", "led"), LEDS, ids=[name for name, _ in LEDS])
def test_each_part_starts_with_a_character_of_its_lead(name: str, led: Led) -> None:
    for part in led.parts:
        starts = re.compile("(?=(?:" + part.source + "))", led.plain.flags)
        lead = None if part.lead == AT_TEXT_START else re.compile("[" + part.lead + "]")
        for text in _texts():
            for i in {
                m.start()
                for end in _ends(text, part.source)
                for m in starts.finditer(text, 0, end)
            }:
                ok = i == 0 if lead is None else (i < len(text) and lead.match(text, i))
                assert ok, (
                    f"{name}: part {part.source!r} matches at {i} of {text[i : i + 30]!r}, "
                    f"which its lead {part.lead!r} does not allow"
                )


@pytest.mark.parametrize(("name", "led"), LEDS, ids=[name for name, _ in LEDS])
def test_led_search_finds_what_the_plain_pattern_finds(name: str, led: Led) -> None:
    for text in _texts():
        for end in _ends(text, led.plain.pattern):
            want = [m.span() for m in led.plain.finditer(text, 0, end)]
            got = [(s, e) for s, e, _ in led.finditer(text, 0, end)]
            assert got == want, (name, text[:end])


def test_a_missing_lead_character_loses_matches() -> None:
    """What the tests above guard against: "close" is not found without "c" in the lead."""
    rx = re.compile(r"close|exit")
    assert [s for s, _, _ in led_pattern(rx, "ce").finditer("exit, close")] == [0, 6]
    assert [s for s, _, _ in led_pattern(rx, "e").finditer("exit, close")] == [0]


def test_a_part_at_the_start_of_the_text_is_found_there_only() -> None:
    led = led_parts(Part("c", "closed"), Part(AT_TEXT_START, r"^\W*exit"))
    assert [(s, e) for s, e, _ in led.finditer("- exit closed")] == [(0, 6), (7, 13)]
    assert [(s, e) for s, e, _ in led.finditer("closed - exit")] == [(0, 6)]


@pytest.mark.parametrize("lead", ["", "a-", "-a", "^a", "a\\"])
def test_a_lead_that_is_not_a_class_body_is_refused(lead: str) -> None:
    with pytest.raises((ValueError, re.error)):
        led_pattern(re.compile("a"), lead)
