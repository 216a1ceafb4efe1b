"""The tokeniser of plain-language commands: numbers as people write them, words, ``$ @ %``.

Numbers are read by ``services.numbers`` (the project's one reader): ``0,5`` (decimal comma),
``1,000.5`` and ``64.000,5`` (thousands separators, also ``1'000`` and no-break spaces),
``1k`` / ``2m``, ``1e-5``, digits of any script; a number's ``number`` is its reading as a
price or money (``1.000``, which reads two ways even there, holds its thousands reading;
``doubts.doubtful_number`` catches it, and ``1,000`` coins, in an order). Anything that does
not read as a number (too large, or negative, with any minus sign or dash) becomes a ``junk``
token, which no grammar rule accepts. ``merge_units`` then
joins an amount with its unit (``$50``, ``50 usdt``, ``25%``). Text is NFKC-normalised and
case-folded first; emoji and punctuation are gaps between tokens. Words are letters of any
script; a run of Chinese characters is cut into the lexicon's Chinese words (longest first,
an unknown character on its own). ``translate`` then rewrites the other languages' words into
the English ones the grammar reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from services.intents.lexicon import (
    CHINESE_WORDS,
    LONGEST_PHRASE,
    QUOTE_UNITS,
    TRANSLATIONS,
)
from services.numbers import Ambiguous, Role, join_groups, read_number

_TOKEN_RE: Final = re.compile(
    r"""
    (?P<num>(?P<body>\d{1,3}(?:[,.'\u066c]\d{3})+(?:[.,\u066b]\d+)?|\d+(?:[.,\u066b]\d+)?
        |[.\u066b]\d+)(?:e[-+]?\d{1,4})?(?P<mult>[km](?![^\W\d_]))?)
    |(?P<word>[^\W\d_][^\W_]*(?:[/\-][^\W\d_][^\W_]*)?)
    |(?P<neg>[-\u2212\u2010-\u2015\ufe63](?=[.\d]))
    |(?P<sym>[$@%])
    """,
    re.VERBOSE,
)
MAX_NUMBER: Final = Decimal(10) ** 15
_CHINESE_RE: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LONGEST_CHINESE: Final = max(map(len, CHINESE_WORDS))


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num | money | pct | word | junk | $ | @ | %
    text: str
    number: Decimal | None = None
    unit: str | None = None  # money: the quote written ("USDT"), None for $ / usd


def _number(raw: str) -> Decimal | None:
    """``raw`` as a price or money reads it (the thousands reading when even that doubts),
    or None when it does not read or is too large to be meant."""
    value = read_number(raw, Role.PRICE)
    if isinstance(value, Ambiguous):
        value = value.grouped
    if value is None or not value.is_finite() or value > MAX_NUMBER:
        return None
    return value


def _cut_chinese(run: str) -> str:
    """``买入一半`` -> `` 买入 一半 ``: the longest known word at each place, else a character."""
    words = []
    i = 0
    while i < len(run):
        size = next(
            (n for n in range(_LONGEST_CHINESE, 1, -1) if run[i : i + n] in CHINESE_WORDS), 1
        )
        words.append(run[i : i + size])
        i += size
    return f" {' '.join(words)} "


def _normalise(text: str) -> str:
    # "№3" would become the word "no3" under NFKC: the sign only says a number follows
    text = unicodedata.normalize("NFKC", join_groups(text.replace("№", " "))).casefold()
    return _CHINESE_RE.sub(lambda m: _cut_chinese(m.group()), text)


def tokenize(text: str) -> list[Token]:
    """Numbers, words and the symbols ``$ @ %``; everything else (emoji, punctuation) is a gap.

    A number that does not read (too large) or a minus sign before one becomes a ``junk``
    token, which no rule accepts."""
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(_normalise(text)):
        if match.group("num") is not None:
            value = _number(match.group("num"))
            if value is None:
                tokens.append(Token("junk", match.group("num")))
            else:
                tokens.append(Token("num", match.group("num"), value))
        elif match.group("word") is not None:
            tokens.append(Token("word", match.group("word")))
        elif match.group("neg") is not None:
            tokens.append(Token("junk", "-"))
        else:
            tokens.append(Token(match.group("sym"), match.group("sym")))
    return tokens


def numbers_in(text: str) -> set[Decimal]:
    """Every number written in ``text``, each way it may read (``1k`` gives 1000 and 1,
    ``1,000`` gives 1000 and 1)."""
    found: set[Decimal] = set()
    for match in _TOKEN_RE.finditer(_normalise(text)):
        raw = match.group("num")
        if raw is not None:
            found |= _readings(raw) | _readings(raw.removesuffix(match.group("mult") or ""))
    return found


def _readings(raw: str) -> set[Decimal]:
    readings: set[Decimal] = set()
    for role in (Role.PRICE, Role.COINS):
        value = read_number(raw, role)
        if isinstance(value, Ambiguous):
            readings |= {value.grouped, value.decimal}
        elif value is not None:
            readings.add(value)
    return readings


def number_tokens(text: str) -> list[str]:
    """The numbers of ``text`` as the tokeniser cuts them (normalised: ``64'000``, ``1k``)."""
    return [m.group("num") for m in _TOKEN_RE.finditer(_normalise(text)) if m.group("num")]


def translate(tokens: list[Token]) -> list[Token]:
    """The other languages' words and phrases as the English words they stand for
    (``купить`` -> ``buy``, ``satın al`` -> ``buy``); the longest phrase wins."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        for size in range(min(LONGEST_PHRASE, len(tokens) - i), 0, -1):
            run = tokens[i : i + size]
            if any(t.kind != "word" for t in run):
                continue
            english = TRANSLATIONS.get(tuple(t.text for t in run))
            if english is not None:
                out.extend(Token("word", word) for word in english)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _with_unit(tok: Token, nxt: Token | None) -> Token | None:
    """``tok`` joined with the unit token after it (``$``, a quote word, ``%``), or None."""
    if nxt is None:
        return None
    if tok.kind == "$" and nxt.kind == "num":
        return Token("money", nxt.text, nxt.number)
    if tok.kind != "num":
        return None
    if nxt.kind == "$":
        return Token("money", tok.text, tok.number)
    if nxt.kind == "word" and nxt.text in QUOTE_UNITS:
        return Token("money", tok.text, tok.number, QUOTE_UNITS[nxt.text])
    if nxt.kind == "%":
        return Token("pct", tok.text, tok.number)
    return None


def merge_units(tokens: list[Token]) -> list[Token]:
    """``$ 50`` / ``50 $`` / ``50 usdt`` -> money; ``25 %`` -> pct; ``@`` -> ``at``."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        merged = _with_unit(tok, tokens[i + 1] if i + 1 < len(tokens) else None)
        if merged is not None:
            out.append(merged)
            i += 2
            continue
        out.append(Token("word", "at") if tok.kind == "@" else tok)
        i += 1
    return out


def words_of(tokens: list[Token]) -> list[str]:
    """The text of the word tokens, in order."""
    return [t.text for t in tokens if t.kind == "word"]
