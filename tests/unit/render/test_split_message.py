"""split_message: Telegram-sized chunks, cut between lines, never inside a tag or an entity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.html import escape
from services.text import TELEGRAM_TEXT_LIMIT, split_message
from tests.unit.render.telegram_html import shown


def rejoined(chunks: list[str], text: str) -> bool:
    """True when ``text`` is the chunks in order with only whitespace dropped between them
    (the line breaks a chunk ends with, blank stretches Telegram would refuse to send)."""
    pos = 0
    for chunk in chunks:
        while not text.startswith(chunk, pos):
            if pos >= len(text) or not text[pos].isspace():
                return False
            pos += 1
        pos += len(chunk)
    return text[pos:].strip() == ""


BOUNDARIES = [
    pytest.param("a" * 10, 10, ["a" * 10], id="exactly-the-limit"),
    pytest.param("a" * 11, 10, ["a" * 10, "a"], id="one-over"),
    pytest.param("aaaa\nbbbb\ncccc", 10, ["aaaa\nbbbb", "cccc"], id="lines-packed"),
    pytest.param("aaaa\nbbbbbb\ncc", 10, ["aaaa", "bbbbbb\ncc"], id="line-not-broken"),
    pytest.param("aaaa\nbbbbb\ncc", 10, ["aaaa\nbbbbb", "cc"], id="dropped-break-is-free"),
    pytest.param("a" * 10 + "\n" + "b" * 10, 10, ["a" * 10, "b" * 10], id="no-empty-chunk"),
    pytest.param("a" * 10 + "\n   \n\n", 10, ["a" * 10], id="no-blank-chunk"),
    pytest.param("a" * 25 + "\nb", 10, ["a" * 10, "a" * 10, "aaaaa\nb"], id="long-line-cut"),
    pytest.param("", 10, [""], id="empty"),
]


@pytest.mark.parametrize(("text", "limit", "expected"), BOUNDARIES)
def test_split_at_the_limit(text: str, limit: int, expected: list[str]) -> None:
    assert split_message(text, limit) == expected


def test_default_limit_is_telegrams() -> None:
    text = "x" * TELEGRAM_TEXT_LIMIT
    assert split_message(text) == [text]
    assert [len(c) for c in split_message(text + "\n" + text)] == [TELEGRAM_TEXT_LIMIT] * 2


@pytest.mark.parametrize(
    "offset", [pytest.param(n, id=f"entity-ends-{n}-past-the-limit") for n in range(1, 5)]
)
def test_entity_is_never_cut(offset: int) -> None:
    text = "x" * (20 - 5 + offset) + "&amp;" + "y" * 10
    chunks = split_message(text, 20)
    assert all("&" not in c or "&amp;" in c for c in chunks)
    assert "".join(chunks) == text


TAGGED = [
    pytest.param("<b>" + "x" * 50 + "</b>", id="long-bold"),
    pytest.param("<i>" + "x &amp; " * 20 + "</i>", id="long-italic-with-entities"),
    pytest.param("<b>a <i>" + "y" * 60 + "</i> b</b>", id="nested"),
    pytest.param('<a href="https://t.me/x">' + "z" * 60 + "</a>", id="link"),
    pytest.param("<b>one\n" + "two\n" * 10 + "three</b>", id="element-over-lines"),
    pytest.param("x" * 18 + "<b>bold</b>" + "y" * 30, id="cut-near-a-tag"),
]


@pytest.mark.parametrize("text", TAGGED)
def test_tags_are_not_split(text: str) -> None:
    """Every chunk is valid Telegram HTML by itself and the chunks show the whole text."""
    limit = 40
    chunks = split_message(text, limit)
    assert len(chunks) > 1
    assert all(len(c) <= limit for c in chunks)
    assert rejoined([shown(c) for c in chunks], shown(text))


WORDS = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
SEGMENT = st.one_of(
    WORDS.map(escape),
    WORDS.map(lambda w: f"<b>{escape(w)}</b>"),
    WORDS.map(lambda w: f"<i>x <code>{escape(w)}</code></i>"),
    st.just("\n"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENT, max_size=60), st.integers(min_value=64, max_value=300))
def test_chunks_fit_and_give_back_the_text(segments: list[str], limit: int) -> None:
    """Any valid HTML: every chunk fits and parses; together they show the text again."""
    text = "".join(segments)
    chunks = split_message(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert rejoined([shown(c) for c in chunks], shown(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \n", max_size=400), st.integers(min_value=1, max_value=50))
def test_plain_text_chunks_are_the_text(text: str, limit: int) -> None:
    """Without markup the chunks are slices of the text; only whitespace between them goes."""
    chunks = split_message(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert rejoined(chunks, text)
