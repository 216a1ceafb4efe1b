"""A follow setting typed by a person is read by the one number reader (a sum: ``1,000`` is a
thousand, ``0,5`` a half, ``1.000`` reads two ways and is asked back), while a stored value
(``str(Decimal)``) reads back exactly: the size ``1,000`` used to become 1 USDT."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import UserError
from services.numbers import AmbiguousNumber
from services.trade_plans.settings import FollowSettings


@pytest.mark.parametrize(
    ("typed", "size"),
    [
        ("1,000", "1000"),
        ("1 000", "1000"),
        ("0,5", "0.5"),
        ("100", "100"),
        ("1.125", "1.125"),
        ("2.5k", "2500"),
        ("$250", "250"),
        ("250 usdt", "250"),
    ],
)
def test_a_typed_size_reads_as_a_sum(typed: str, size: str) -> None:
    assert FollowSettings().with_value("size", typed).size == Decimal(size)


@pytest.mark.parametrize("stored", ["1.125", "1000", "0.01", "50"])
def test_a_stored_size_reads_back_exactly(stored: str) -> None:
    settings = FollowSettings().with_value("size", stored)
    assert FollowSettings.from_json(settings.to_json()).size == Decimal(stored)


def test_a_size_that_reads_two_ways_is_asked_back() -> None:
    with pytest.raises(AmbiguousNumber, match="reads two ways"):
        FollowSettings().with_value("size", "1.000 usdt")  # bare 1.000 is read as stored: one


@pytest.mark.parametrize("typed", ["abc", "0", "-5", "2000000", "1e400"])
def test_a_size_out_of_range_or_not_a_number_is_refused(typed: str) -> None:
    with pytest.raises(UserError, match="must be a number"):
        FollowSettings().with_value("size", typed)


def test_a_percentage_setting_takes_a_decimal_comma() -> None:
    assert FollowSettings().with_value("default_stop_pct", "2,5%").default_stop_pct == Decimal(
        "2.5"
    )
