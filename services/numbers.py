"""Numbers as traders write them, read one way everywhere: the signal parser, /buy and /sell,
the plain-language commands and the signal card's Edit form all call ``read_number`` / ``read``.

What reads (always to ``Decimal``, never through a float):

- digits of any script: ASCII, full-width (``６４０００``), Arabic-Indic and Persian (``۰-۹``,
  ``٠-٩``), and the Arabic separators ``٫`` (decimal) and ``٬`` (thousands);
- a decimal comma (``0,5`` is 0.5) or point; thousands grouped by ``,`` ``.`` a space (also
  the no-break, narrow no-break, thin and figure spaces), ``'`` or ``_`` (``64,000``,
  ``64 000``, ``64.000,5``, ``1'000``, ``1_000``);
- ``k`` and ``m`` after the number (``64k`` = 64000, ``1.5k`` = 1500, ``2m`` = 2000000);
  scientific notation (``1e-5``, ``2.5E3``);
- a sign: ``-``, ``+`` and the Unicode minus and dashes (``−5``, ``–5``) read as a minus;
- money written around it (``$64,000``, ``64000$``, ``100usdt``, ``usdt 100``): ``read``
  hands back the unit; a money unit makes the number money (below).

How a separator is told from a decimal point (``Role`` is where the number stands):

1. ``٫`` is always the decimal point; ``٬``, spaces, ``'`` and ``_`` always group.
2. Both ``,`` and ``.`` written: the last one is the decimal point (``64.000,5``, ``1,000.5``).
3. One of them written two or more times: grouping (``1,000,000``, ``1.000.000``); a group
   that is not three digits makes it no number at all (``27.02.2026`` is a date).
4. A grouping mark (rule 1) and one ``,`` or ``.``: that one is the decimal point.
5. One ``,`` or ``.`` written once: it is a decimal point unless it is followed by exactly three
   digits after one to three digits that do not start with 0 (``0,500`` and ``1234,567`` are
   decimals, ``0,5`` and ``1.25`` too). ``1,000`` and ``1.000`` are the only doubtful forms,
   and the role decides them:

   ================  =========  =========  ====================================================
   role              ``1,000``  ``1.000``  why
   ================  =========  =========  ====================================================
   ``SIGNAL``        1000       1          a post's prices are read beside each other; channels
                                           write ``64,000`` for prices and ``1.000`` for a
                                           decimal (the parser's own reference rules, never a
                                           question)
   ``PRICE``         1000       asked      a price or a sum of money typed in an order or a
                                           form: money is never written with three decimals,
                                           so a comma before three digits groups; a point
                                           before three digits is a decimal to one writer and
                                           a thousands mark to another
   ``COINS``         asked      asked      an amount of a coin: ``1,000 btc`` is one thousand
                                           to one writer and one (with three decimals) to
                                           another; a thousand-fold mistake in an order is
                                           too costly to guess
   ================  =========  =========  ====================================================

   A money unit (``$``, ``usdt``, ``usd``...; ``services.quotes.is_money``) makes a ``COINS``
   number read as ``PRICE``: ``1,000 usdt`` is a thousand.

A doubtful number reads as ``Ambiguous`` (both readings), never as a guess: the order entry
points answer with ``ask_back`` and change nothing. Text that is not one number reads as
``None``. The reader never raises on any ``str``, and does not bound or sign-check values:
callers say what is too large or must be positive, in their own words. A plain ``64000`` or
``0.5`` in a post takes a fast path (the parser reads several per post).

Why not a library: babel's ``parse_decimal`` reads by a locale chosen up front (a post's or a
trader's is unknown, and it mixes ``64,000`` and ``0,5`` in one chat) and price-parser guesses
the separator from the text alone; neither answers "this reads two ways", which is what an
order needs, nor reads ``64k`` or the Arabic decimal mark, so a small grammar of our own,
tested by a table and a round trip (``tests/unit/numbers``), fits better.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from core.errors import UserError
from services.quotes import CASH_QUOTES, MONEY_WORDS, is_money


class Role(StrEnum):
    """Where a number stands, which decides ``1,000`` and ``1.000`` (see the module docs)."""

    SIGNAL = "signal"  # a price in a channel's post, read beside the post's other prices
    PRICE = "price"  # a price or a sum of money a person types in an order or a form
    COINS = "coins"  # an amount of a coin a person types in an order


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A number that reads two ways in its role: ``grouped`` (``1,000`` as one thousand) and
    ``decimal`` (``1,000`` as one)."""

    written: str
    grouped: Decimal
    decimal: Decimal


Value = Decimal | Ambiguous


@dataclass(frozen=True, slots=True)
class Reading:
    """A number and the unit written with it (upper-case: ``"$"``, ``"USDT"``, ``"BTC"``), if
    any."""

    value: Value
    unit: str | None = None


class AmbiguousNumber(UserError):
    """An order's number reads two ways; the message asks which one was meant."""


_GROUP: Final = "\ue000"  # a mark that only groups: spaces, ', _, Arabic ٬ (private use)
_POINT: Final = "\ue001"  # a mark that is only a decimal point: Arabic ٫ (private use)
_MINUS: Final = "\u2212\u2010\u2011\u2012\u2013\u2014\u2015\ufe58\ufe63\uff0d"
_SPACES: Final = " \u00a0\u202f\u2009\u2007\u2008\u200a\u2005\u2006"
_APOSTROPHES: Final = "'\u2019\u02bc\u00b4\u2032"


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch in _MINUS:
        table[ord(ch)] = "-"
    table.update({0x066B: _POINT, 0x066C: _GROUP, 0xFF0C: ",", 0xFF0E: ".", 0xFF04: "$"})
    table.update({0xFF0B: "+", 0x060C: ","})  # full-width plus; Arabic comma
    for ch in _APOSTROPHES + "_":
        table[ord(ch)] = _GROUP
    return table


_TRANSLATE: Final = _table()
_UNIT_WORDS: Final = "|".join(sorted({*CASH_QUOTES, *MONEY_WORDS} - {"$"}, key=len, reverse=True))
# a unit before the number: "$100", "usdt 100", "$ 100"
_PREFIX: Final = re.compile(rf"^(?P<unit>\$|(?:{_UNIT_WORDS})(?![a-z]))\s*", re.IGNORECASE)
# the number itself: sign, digits and marks, exponent, k/m, then any unit word or $
_NUMBER: Final = re.compile(
    r"(?P<sign>[-+]?)\s*(?P<body>[0-9.,\ue000\ue001]*[0-9][0-9.,\ue000\ue001]*)"
    r"(?:e(?P<exp>[-+]?[0-9]{1,4}))?"
    r"(?P<mult>[km](?![a-z])|[km](?=(?:usdt|usdc|usd|\$)$))?"
    r"\s*(?P<unit>\$|[a-z][a-z0-9]{0,14})?",
    re.IGNORECASE,
)
# a space groups only between digits ("64 000"); elsewhere it separates words
_SPACE_GROUP: Final = re.compile(rf"(?<=[0-9])[{_SPACES}](?=[0-9]{{3}}(?![0-9]))")
_TYPOGRAPHIC_GROUP: Final = re.compile(
    r"(?<=[0-9])[\u00a0\u202f\u2009\u2007](?=[0-9]{3}(?![0-9]))"
)
_DOUBTFUL: Final = re.compile(r"-?[1-9][0-9]{0,2}\.[0-9]{3}")  # rule 5's doubtful form
_PLACES: Final = 28  # the default context's precision: quantize fails beyond it
_MULTIPLIERS: Final = {"k": Decimal(1000), "m": Decimal(1_000_000)}
_GROUP_HEAD: Final = re.compile(r"[1-9][0-9]{0,2}")
_THREE: Final = re.compile(r"[0-9]{3}")
_PLAIN: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DIGITS: Final = re.compile(r"[0-9]+")
_is_plain: Final = _PLAIN.fullmatch
_SIGNAL: Final = Role.SIGNAL


def _to_ascii(text: str) -> str:
    """Digits of every script as ASCII, minus signs and dashes as ``-``, grouping marks between
    digits as ``g``, the Arabic decimal point as ``d``."""
    text = text.translate(_TRANSLATE)
    if text.isascii():
        return _SPACE_GROUP.sub(_GROUP, text)
    out = []
    for ch in text:
        if ch.isdigit() and not ch.isascii():
            try:
                out.append(str(unicodedata.decimal(ch)))
            except ValueError:  # a digit with no decimal value (superscripts): not ours
                out.append(ch)
        else:
            out.append(ch)
    return _SPACE_GROUP.sub(_GROUP, "".join(out))


def read(text: str, role: Role = Role.PRICE) -> Reading | None:
    """``text`` as one number with an optional unit before or after it (``$100``, ``100usdt``,
    ``0.5 btc``), or None when it is not that. A money unit reads a ``COINS`` number as
    ``PRICE``."""
    if _PLAIN.fullmatch(text) and (role is Role.SIGNAL or _DIGITS.fullmatch(text)):
        return Reading(Decimal(text))  # the common case, fast: "64000", "0.5" in a post
    written = text.strip()
    cleaned = _to_ascii(written)  # one character for one: spans map back to ``written``
    prefix = _PREFIX.match(cleaned)
    unit: str | None = None
    start = 0
    if prefix is not None:
        unit = prefix["unit"].upper()
        start = prefix.end()
    match = _NUMBER.fullmatch(cleaned, start)
    if match is None:
        return None
    number_end = max(match.end(name) for name in ("body", "exp", "mult"))
    if match["unit"]:
        if unit is not None:
            return None  # "$100usdt": two units
        unit = match["unit"].upper()
    if unit is not None and role is Role.COINS and is_money(unit):
        role = Role.PRICE
    value = _body(match["body"], role, written[match.start("body") : number_end])
    if value is None:
        return None
    scale = Decimal(1)
    if match["exp"]:
        scale = Decimal(1).scaleb(int(match["exp"]))
    if match["mult"]:
        scale *= _MULTIPLIERS[match["mult"].lower()]
    negative = match["sign"] == "-"
    return Reading(_scaled(value, scale, negative), unit)


def read_number(text: str, role: Role = Role.PRICE) -> Value | None:
    """``text`` as one number (a money unit around it is allowed and dropped: ``$64,000``);
    None when it is not one number or names another unit (``0.5 btc``)."""
    if role is _SIGNAL and _is_plain(text):
        return Decimal(text)  # most of a post's numbers: the signal parser's hot path
    reading = read(text, role)
    if reading is None or (reading.unit is not None and not is_money(reading.unit)):
        return None
    return reading.value


def ask_back(number: Ambiguous, unit: str, retry: str) -> str:
    """The question an order with a doubtful number gets: ``Did you mean 1000 BTC or 1 BTC?
    1,000 reads both ways, so nothing was done. Send /buy btc 1000 or /buy btc 1.``
    (``retry``: the command with ``{}`` where the number goes)."""
    big, small = plain(number.grouped), plain(number.decimal)
    shown = f" {unit}" if unit else ""
    again = (
        f"Send {retry.replace('{}', big)} or {retry.replace('{}', small)}."
        if "{}" in retry
        else f"Send it again with the number written {big} or {small}."
    )
    return (
        f"Did you mean {big}{shown} or {small}{shown}? {number.written} reads both ways, so "
        f"nothing was done. {again}"
    )


def join_groups(text: str) -> str:
    """``text`` with the typographic spaces that group digits (no-break, narrow no-break,
    thin, figure: ``64 000``) written as ``'``, so a reader that splits words at spaces
    keeps the number whole. An ordinary space still separates two numbers."""
    return _TYPOGRAPHIC_GROUP.sub("'", text)


def plain(value: Decimal) -> str:
    """``value`` with no grouping and no exponent (``1000``, ``0.00001``), in the form that
    reads back the same in every role: trailing zeros dropped, except that three decimals
    after one to three digits get a fourth (``1.1250``: ``1.125`` would read two ways)."""
    text = f"{value.normalize():f}"
    return f"{text}0" if _DOUBTFUL.fullmatch(text) else text


# -- the grammar ------------------------------------------------------------------------------


def _scaled(value: Value, scale: Decimal, negative: bool) -> Value:
    def apply(number: Decimal) -> Decimal:
        scaled = number * scale if scale != 1 else number
        exponent = scaled.as_tuple().exponent
        if isinstance(exponent, int) and exponent > 0 and scaled.adjusted() < _PLACES:
            scaled = scaled.quantize(Decimal(1))  # 1e5 reads 100000, not 1E+5
        return -scaled if negative else scaled

    if isinstance(value, Ambiguous):
        written = value.written
        return Ambiguous(written, apply(value.grouped), apply(value.decimal))
    return apply(value)


def _decimal(whole: str, fraction: str) -> Decimal | None:
    """``whole.fraction`` as written (``0.500`` keeps its places, ``5.`` is ``5``)."""
    try:
        return Decimal(f"{whole or '0'}.{fraction}" if fraction else whole or "0")
    except InvalidOperation:
        return None


def _grouped(whole: str, marks: str) -> str | None:
    """The digits of ``whole`` with its grouping ``marks`` removed, or None when its groups are
    not a 1-3 digit head (not starting with 0) and groups of exactly three digits."""
    parts = re.split(f"[{re.escape(marks)}]", whole)
    if not _GROUP_HEAD.fullmatch(parts[0]) or not all(_THREE.fullmatch(p) for p in parts[1:]):
        return None
    return "".join(parts)


def _body(body: str, role: Role, written: str) -> Value | None:
    """The number of ``body`` (digits, ``,`` ``.`` and the group and point marks) by the rules
    of the module."""
    if body.count(_POINT) > 1:
        return None
    if _POINT in body:  # rule 1: the Arabic decimal point; every other mark groups
        whole, _, fraction = body.partition(_POINT)
        return _from_parts(whole, ",." + _GROUP, fraction)
    commas, points = body.count(","), body.count(".")
    if commas and points:  # rule 2: the last one is the decimal point
        point = "," if body.rfind(",") > body.rfind(".") else "."
        whole, _, fraction = body.rpartition(point)
        other = "." if point == "," else ","
        return _from_parts(whole, other + _GROUP, fraction)
    mark = "," if commas else "." if points else ""
    count = commas or points
    if count == 0:  # groups by spaces and the like only
        return _from_parts(body, _GROUP, "")
    if count > 1:  # rule 3
        return _from_parts(body, mark + _GROUP, "")
    whole, _, fraction = body.partition(mark)
    if _GROUP in whole:  # rule 4
        return _from_parts(whole, _GROUP, fraction)
    return _single(whole, mark, fraction, role, written)


def _from_parts(whole: str, marks: str, fraction: str) -> Decimal | None:
    if not _DIGITS.fullmatch(fraction or "0"):
        return None
    digits = whole if not any(m in whole for m in marks) else _grouped(whole, marks)
    if digits is None or (digits and not _DIGITS.fullmatch(digits)):
        return None
    return _decimal(digits, fraction)


def _single(whole: str, mark: str, fraction: str, role: Role, written: str) -> Value | None:
    """Rule 5: one ``,`` or ``.`` written once."""
    if not _DIGITS.fullmatch(whole or "0") or not _DIGITS.fullmatch(fraction or "0"):
        return None
    as_decimal = _decimal(whole, fraction)
    if len(fraction) != 3 or not _GROUP_HEAD.fullmatch(whole) or as_decimal is None:  # noqa: PLR2004
        return as_decimal
    as_grouped = Decimal(whole + fraction)
    if role is Role.SIGNAL:
        return as_grouped if mark == "," else as_decimal
    if role is Role.PRICE and mark == ",":
        return as_grouped
    return Ambiguous(written, as_grouped, as_decimal)
