"""The console's /market argument is read by the one number reader: a grouped price, a
decimal-comma percentage, and a number that reads two ways refused with why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.console.market import parse_move

NOW = Decimal("60000.00")


@pytest.mark.parametrize(
    ("word", "price"),
    [
        ("65000", "65000.00"),
        ("65,000", "65000.00"),
        ("65 000", "65000.00"),
        ("64.5k", "64500.00"),
        ("+2%", "61200.00"),
        ("-1,5%", "59100.00"),
        ("off", None),
    ],
)
def test_a_move_reads_as_typed(word: str, price: str | None) -> None:
    assert parse_move(word, NOW) == (None if price is None else Decimal(price))


@pytest.mark.parametrize(
    ("word", "why"),
    [("1.000", "reads two ways"), ("abc", "not a price"), ("-5", "above zero")],
)
def test_a_bad_move_says_why(word: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_move(word, NOW)
