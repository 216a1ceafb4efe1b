"""Orders as people write them (issue 15, item 5): every form of /buy and /sell, /price with
several pairs, and the /follow amount per trade, each read into the same numbers; and the
forms that cannot be read, each refused with what was wrong (as a ``UsageError`` when the words
do not fit the command, so the handler adds its usage)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import OrderType
from core.errors import UserError
from services.symbols import (
    OrderArgs,
    UsageError,
    parse_order_args,
    parse_pairs,
    parse_quote_amount,
)

ONE = Decimal(1)
HALF = Decimal("0.5")


def order(
    symbol: str,
    amount: Decimal | None = None,
    in_quote: bool = False,
    price: Decimal | None = None,
    kind: OrderType | None = None,
    label: str | None = None,
    share: Decimal | None = None,
) -> OrderArgs:
    return OrderArgs(symbol, amount, in_quote, price, kind, label, share)


def stop(amount: str, trigger: int) -> OrderArgs:
    return order("btc", Decimal(amount), False, Decimal(trigger), OrderType.STOP)


def limit(amount: str, price: int) -> OrderArgs:
    return order("btc", Decimal(amount), False, Decimal(price), OrderType.LIMIT)


STOP = OrderType.STOP
FORMS = [
    # shares of what is held
    ("sell", "btc all", order("btc", share=ONE)),
    ("sell", "btc ALL", order("btc", share=ONE)),
    ("sell", "eth 50%", order("eth", share=HALF)),
    ("sell", "eth 12.5%", order("eth", share=Decimal("0.125"))),
    ("sell", "eth 100%", order("eth", share=ONE)),
    ("sell", "eth 50 %", order("eth", share=HALF)),
    ("buy", "btc 50%", order("btc", share=HALF)),
    ("sell", "btc all 70000", order("btc", price=Decimal(70000), kind=OrderType.LIMIT, share=ONE)),
    ("sell", "btc all @main", order("btc", label="main", share=ONE)),
    # money
    ("buy", "btc 10 usdt", order("btc", Decimal(10), True)),
    ("buy", "btc 10 USDT", order("btc", Decimal(10), True)),
    ("buy", "btc 10usdt", order("btc", Decimal(10), True)),
    ("buy", "btc 50$", order("btc", Decimal(50), True)),
    ("buy", "btc $50", order("btc", Decimal(50), True)),
    ("buy", "btc 50 $", order("btc", Decimal(50), True)),
    ("buy", "btc 50 usd", order("btc", Decimal(50), True)),
    ("buy", "btc 50 usdc", order("btc", Decimal(50), True)),
    ("buy", "btc 50 dollars", order("btc", Decimal(50), True)),
    ("buy", "btc $1,000.5", order("btc", Decimal("1000.5"), True)),
    ("buy", "ethbtc 0.01 btc", order("ethbtc", Decimal("0.01"), True)),  # the pair's quote
    # coins
    ("buy", "btc 0.01", order("btc", Decimal("0.01"))),
    ("buy", "btc 0.01 btc", order("btc", Decimal("0.01"))),
    ("buy", "btc 0.01BTC", order("btc", Decimal("0.01"))),
    ("buy", "BTCUSDT 0.01 btc", order("BTCUSDT", Decimal("0.01"))),
    ("buy", "btc .5", order("btc", HALF)),
    # prices
    ("buy", "btc 0.01 stop 70000", stop("0.01", 70000)),
    ("sell", "btc 0.01 STOP 60000", stop("0.01", 60000)),
    ("buy", "btc 0.01 limit 60000", limit("0.01", 60000)),
    ("buy", "btc 0.01 at 60000", limit("0.01", 60000)),
    ("buy", "btc 0.01 @ 60000", limit("0.01", 60000)),
    ("buy", "btc 0.01 60000", limit("0.01", 60000)),
    ("buy", "btc 0.01 $60,000", limit("0.01", 60000)),
    ("buy", "btc 0.01 60000$", limit("0.01", 60000)),
    ("buy", "btc 10 usdt 60000", order("btc", Decimal(10), True, Decimal(60000), OrderType.LIMIT)),
    ("buy", "btc $10 stop 7e4 @main", order("btc", Decimal(10), True, Decimal(7e4), STOP, "main")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("side", "text", "expected"), FORMS, ids=[f"{s} {t}" for s, t, _ in FORMS]
)
def test_order_forms(side: str, text: str, expected: OrderArgs) -> None:
    assert parse_order_args(text, side) == expected


NOT_ORDERS = [
    # words that do not fit the form: UsageError (the reply adds /buy's usage)
    ("", UsageError, "needs a pair and an amount"),
    ("btc", UsageError, "needs a pair and an amount"),
    ("btc @main", UsageError, "needs a pair and an amount"),
    ("btc lots", UsageError, "'lots' is not a number"),
    ("btc 10 eth", UsageError, "10 ETH does not fit btc"),
    ("btc 0.01 stop", UsageError, "Give a price after 'stop'"),
    ("btc 0.01 limit", UsageError, "Give a price after 'limit'"),
    ("btc 0.01 stop high", UsageError, "The price 'high' is not a number"),
    ("btc 0.01 60000 now", UsageError, "did not understand 'now'"),
    ("btc half%", UsageError, "is not a share"),
    # values that cannot be: UserError (the usage would not help)
    ("btc 0", UserError, "above zero"),
    ("btc -1", UserError, "above zero"),
    ("btc 0%", UserError, "above 0% and at most 100%"),
    ("btc 150%", UserError, "above 0% and at most 100%"),
    ("btc 0.01 stop 0", UserError, "above zero"),
    ("btc 9999999999999", UserError, "too large"),
]


@pytest.mark.parametrize(
    ("text", "error", "message"), NOT_ORDERS, ids=[t or "empty" for t, _, _ in NOT_ORDERS]
)
def test_forms_that_cannot_be_read(text: str, error: type[UserError], message: str) -> None:
    with pytest.raises(error, match=message) as raised:
        parse_order_args(text, "buy")
    assert (raised.type is UsageError) is (error is UsageError)


PAIR_WORDS = [
    ("btc", ["btc"]),
    ("btc eth sol", ["btc", "eth", "sol"]),
    ("btc, eth,sol", ["btc", "eth", "sol"]),
    ("btc btc eth", ["btc", "eth"]),
    ("BTC/USDT  ETHUSDT", ["BTC/USDT", "ETHUSDT"]),
]


@pytest.mark.parametrize(("text", "words"), PAIR_WORDS, ids=[t for t, _ in PAIR_WORDS])
def test_price_pairs(text: str, words: list[str]) -> None:
    assert parse_pairs(text) == words


def test_price_needs_a_pair_and_at_most_ten() -> None:
    for empty in (None, "", " , "):
        with pytest.raises(UsageError, match="Which pair?"):
            parse_pairs(empty)
    with pytest.raises(UserError, match="At most 10 pairs at once, got 11"):
        parse_pairs(" ".join(f"c{i}" for i in range(11)))


FOLLOW_AMOUNTS = [
    ("100", Decimal(100)),
    ("$100", Decimal(100)),
    ("100$", Decimal(100)),
    ("100usdt", Decimal(100)),
    ("100USDT", Decimal(100)),
    ("100 usdt", Decimal(100)),
    ("100 $", Decimal(100)),
    ("1,000", Decimal(1000)),
    ("12.5", Decimal("12.5")),
]


@pytest.mark.parametrize(("text", "amount"), FOLLOW_AMOUNTS, ids=[t for t, _ in FOLLOW_AMOUNTS])
def test_follow_amounts(text: str, amount: Decimal) -> None:
    assert parse_quote_amount(text, "amount per trade") == amount


@pytest.mark.parametrize(
    "text", ["lots", "-5", "$", "100 btc", "0.1btc", "100 usdt more", "$100 usdt"]
)
def test_follow_amounts_that_are_not_money(text: str) -> None:
    with pytest.raises(UsageError, match="amount per trade must be a positive number of USDT"):
        parse_quote_amount(text, "amount per trade")


def test_follow_amount_of_zero_is_refused() -> None:
    with pytest.raises(UserError, match="above zero"):
        parse_quote_amount("$0", "amount per trade")
