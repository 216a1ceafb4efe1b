"""Pair, amount and order-argument parsing, and number formatting (pure functions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import OrderType
from core.errors import UserError
from services.symbols import (
    UsageError,
    fmt_number,
    pair_candidates,
    parse_order_args,
    price_step_for,
    round_to,
    truncate,
)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("btc", "BTC/USDT"),
        ("$btc", "BTC/USDT"),
        ("#ETH", "ETH/USDT"),
        ("BTCUSDT", "BTC/USDT"),
        ("btc/usdt", "BTC/USDT"),
        ("eth-btc", "ETH/BTC"),
        ("SOL_USDC", "SOL/USDC"),
        ("ETHBTC", "ETH/BTC"),
        ("1000PEPE", "1000PEPE/USDT"),
    ],
)
def test_pairs_in_any_form(text: str, first: str) -> None:
    assert pair_candidates(text)[0] == first


@pytest.mark.parametrize("text", ["", "$", "btc/usdt/eth", "b!tc", "x" * 40, "<b>"])
def test_not_a_pair(text: str) -> None:
    with pytest.raises(UserError):
        pair_candidates(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.01", (Decimal("0.01"), False)),
        ("100usdt", (Decimal(100), True)),
        ("100USDT", (Decimal(100), True)),
        ("$100", (Decimal(100), True)),
        ("$1,000.5", (Decimal("1000.5"), True)),
        ("0.5btc", (Decimal("0.5"), False)),
        (".5", (Decimal("0.5"), False)),
        ("1e-3", (Decimal("0.001"), False)),  # scientific notation reads (services.numbers)
    ],
)
def test_amounts(text: str, expected: tuple[Decimal, bool]) -> None:
    args = parse_order_args(f"btc {text}", "buy")
    assert (args.amount, args.amount_in_quote) == expected


@pytest.mark.parametrize("text", ["-1", "0", "abc", "1e", "nan", "inf", "10" * 10, "$"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(UserError):
        parse_order_args(f"btc {text}", "buy")


def test_order_args() -> None:
    args = parse_order_args("btc 100usdt 60000 @main", "buy")
    assert (args.symbol_text, args.amount, args.amount_in_quote) == ("btc", Decimal(100), True)
    assert (args.price, args.order_type, args.account_label) == (
        Decimal(60000),
        OrderType.LIMIT,
        "main",
    )
    stop = parse_order_args("eth 0.5 stop 2800", "sell")
    assert (stop.price, stop.order_type, stop.account_label) == (
        Decimal(2800),
        OrderType.STOP,
        None,
    )
    market = parse_order_args("eth $50", "buy")
    assert (market.price, market.order_type) == (None, None)
    with pytest.raises(UsageError, match="/sell needs a pair and an amount"):
        parse_order_args("eth", "sell")
    with pytest.raises(UsageError, match="did not understand"):
        parse_order_args("eth 1 2000 extra", "buy")


def test_numbers() -> None:
    assert fmt_number(Decimal("64012.50")) == "64,012.5"
    assert fmt_number(Decimal("10000")) == "10,000"
    assert fmt_number(Decimal("0.00156000")) == "0.00156"
    assert fmt_number(Decimal("-12.345"), 2) == "-12.34"
    assert truncate(Decimal("0.123456789"), Decimal("0.00000001")) == Decimal("0.12345678")
    assert round_to(Decimal("64032.123"), Decimal("0.01")) == Decimal("64032.12")
    assert price_step_for(Decimal(64000)) == Decimal("0.01")
    assert price_step_for(Decimal("0.2")) == Decimal("1E-7")
