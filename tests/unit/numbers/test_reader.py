"""``services.numbers``: the table in every role, units around a number, the ask-back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.numbers import (
    Ambiguous,
    Reading,
    Role,
    ask_back,
    join_groups,
    plain,
    read,
    read_number,
)
from tests.unit.numbers.table import ROWS, Ask, Expected, Row


def matches(value: Decimal | Ambiguous | None, expected: Expected) -> bool:
    if isinstance(expected, Ask):
        return isinstance(value, Ambiguous) and (value.grouped, value.decimal) == (
            expected.grouped,
            expected.decimal,
        )
    return value == expected and not isinstance(value, Ambiguous)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_table_in_every_role(row: Row) -> None:
    assert matches(read_number(row.written, Role.SIGNAL), row.signal)
    assert matches(read_number(row.written, Role.PRICE), row.price)
    assert matches(read_number(row.written, Role.COINS), row.coins)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_values_are_decimals_as_written(row: Row) -> None:
    """Never a float on the way: ``0,500`` keeps its places like ``Decimal("0.500")``."""
    for role in Role:
        value = read_number(row.written, role)
        for number in (value.grouped, value.decimal) if isinstance(value, Ambiguous) else [value]:
            assert number is None or type(number) is Decimal


UNITS = [
    ("$64,000", Reading(Decimal(64000), "$")),
    ("64000$", Reading(Decimal(64000), "$")),
    ("$ 100", Reading(Decimal(100), "$")),
    ("100usdt", Reading(Decimal(100), "USDT")),
    ("100 USDT", Reading(Decimal(100), "USDT")),
    ("usdt 100", Reading(Decimal(100), "USDT")),
    ("100 usd", Reading(Decimal(100), "USD")),
    ("1.5kusdt", Reading(Decimal(1500), "USDT")),
    ("0.5btc", Reading(Decimal("0.5"), "BTC")),
    ("1,000 usdt", Reading(Decimal(1000), "USDT")),  # money: a comma before three digits groups
    ("\uff04５", Reading(Decimal(5), "$")),  # full-width dollar sign
]


@pytest.mark.parametrize(("text", "reading"), UNITS, ids=[t for t, _ in UNITS])
def test_units_around_a_number(text: str, reading: Reading) -> None:
    assert read(text, Role.COINS) == reading


def test_money_makes_coins_read_as_a_price() -> None:
    """``1,000 btc`` asks; ``1,000 usdt`` is a thousand; ``1.000 usdt`` still asks."""
    assert isinstance(read("1,000 btc", Role.COINS).value, Ambiguous)  # type: ignore[union-attr]
    assert read("1,000 usdt", Role.COINS) == Reading(Decimal(1000), "USDT")
    assert isinstance(read("1.000 usdt", Role.COINS).value, Ambiguous)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["", " ", "$", "nan", "inf", "1e", "$100usdt", "--5", "1..5"])
def test_not_a_number(text: str) -> None:
    assert read_number(text, Role.PRICE) is None


def test_another_unit_is_not_a_bare_number() -> None:
    assert read_number("0.5 btc", Role.COINS) is None
    assert read_number("$0.5", Role.COINS) == Decimal("0.5")


def test_huge_exponents_read_without_raising() -> None:
    assert read_number("1e9999", Role.PRICE) == Decimal("1e9999")
    assert read_number("1e-9999", Role.PRICE) == Decimal("1e-9999")


def test_the_ask_back_names_both_readings_and_both_commands() -> None:
    doubt = read_number("1,000", Role.COINS)
    assert isinstance(doubt, Ambiguous)
    assert ask_back(doubt, "BTC", "/buy btc {}") == (
        "Did you mean 1000 BTC or 1 BTC? 1,000 reads both ways, so nothing was done. "
        "Send /buy btc 1000 or /buy btc 1."
    )
    assert ask_back(doubt, "", "").endswith("Send it again with the number written 1000 or 1.")


def test_the_suggested_forms_read_one_way() -> None:
    """``1,125 btc`` asks; its decimal answer is written ``1.1250``, which does not ask."""
    doubt = read_number("1,125", Role.COINS)
    assert isinstance(doubt, Ambiguous)
    assert (plain(doubt.grouped), plain(doubt.decimal)) == ("1125", "1.1250")
    for role in Role:
        assert read_number(plain(doubt.decimal), role) == Decimal("1.125")


def test_typographic_spaces_join_a_number_and_ordinary_ones_do_not() -> None:
    assert join_groups("btc 64\u202f000 0.1\u00a0btc") == "btc 64'000 0.1\u00a0btc"
    assert join_groups("btc 1 000") == "btc 1 000"
