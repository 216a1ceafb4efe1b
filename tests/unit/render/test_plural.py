"""Counts read as English: "1 follower", "2 followers" (issue 15, item 7)."""

from __future__ import annotations

import pytest

from handlers import signals_render
from handlers.plural import plural
from tests.unit.render.views import source


@pytest.mark.parametrize(
    ("count", "noun", "many", "expected"),
    [
        pytest.param(1, "follower", None, "1 follower", id="one"),
        pytest.param(2, "follower", None, "2 followers", id="two"),
        pytest.param(0, "signal", None, "0 signals", id="zero"),
        pytest.param(-1, "message", None, "-1 messages", id="minus-one"),
        pytest.param(1204, "signal", None, "1,204 signals", id="thousands"),
        pytest.param(1, "entry", "entries", "1 entry", id="irregular-one"),
        pytest.param(3, "entry", "entries", "3 entries", id="irregular-many"),
        pytest.param(2, "exchange account", None, "2 exchange accounts", id="two-words"),
    ],
)
def test_plural(count: int, noun: str, many: str | None, expected: str) -> None:
    assert plural(count, noun, many) == expected


@pytest.mark.parametrize(
    ("followers", "signals", "expected"),
    [
        pytest.param(1, 1, "1 follower · 1 signal", id="one-each"),
        pytest.param(0, 2, "0 followers · 2 signals", id="none-and-two"),
        pytest.param(2_500, 1, "2,500 followers · 1 signal", id="many"),
    ],
)
def test_the_source_list_counts_in_words(followers: int, signals: int, expected: str) -> None:
    text = signals_render.source_list([source(followers=followers, signals=signals)])
    assert text.splitlines()[1].endswith(expected)
