"""The plain-language grammar: a table of phrasings, garbage, and properties that always hold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intents import (
    UNKNOWN,
    Intent,
    IntentAction,
    numbers_in,
    parse_intent,
    tokenize,
)

D = Decimal
BUY, SELL = IntentAction.BUY, IntentAction.SELL
BALANCE, PRICE = IntentAction.BALANCE, IntentAction.PRICE
ORDERS, CANCEL_ALL = IntentAction.ORDERS, IntentAction.CANCEL_ALL
POSITIONS, HISTORY = IntentAction.POSITIONS, IntentAction.HISTORY


def order(
    action: IntentAction,
    symbol: str,
    amount: str | None = None,
    *,
    quote: bool = False,
    fraction: str | None = None,
    price: str | None = None,
) -> Intent:
    return Intent(
        action,
        symbol,
        amount=None if amount is None else D(amount),
        amount_in_quote=quote,
        fraction=None if fraction is None else D(fraction),
        price=None if price is None else D(price),
        confidence=0.95,
    )


def read(action: IntentAction, symbol: str | None = None) -> Intent:
    return Intent(action, symbol, confidence=0.95)


def cancel(order_id: int) -> Intent:
    return Intent(IntentAction.CANCEL, order_id=order_id, confidence=0.95)


TABLE: list[tuple[str, Intent]] = [
    # the brief's examples
    ("buy 0.1 btc at market", order(BUY, "BTC", "0.1")),
    ("sell half my eth at 3100", order(SELL, "ETH", fraction="0.5", price="3100")),
    ("buy $50 of sol", order(BUY, "SOL", "50", quote=True)),
    ("what is my balance", read(BALANCE)),
    ("price of sol", read(PRICE, "SOL")),
    ("cancel all my open orders on BTC", read(CANCEL_ALL, "BTC")),
    ("show my orders", read(ORDERS)),
    # issue 15: positions, history, close, cancel one, the /buy word order with a limit
    ("show my positions", read(POSITIONS)),
    ("positions", read(POSITIONS)),
    ("my btc position", read(POSITIONS, "BTC")),
    ("history", read(HISTORY)),
    ("show my trade history", read(HISTORY)),
    ("order history", read(HISTORY)),
    ("my orders", read(ORDERS)),
    ("close my btc position", order(SELL, "BTC", fraction="1")),
    ("close btc", order(SELL, "BTC", fraction="1")),
    ("exit my eth position", order(SELL, "ETH", fraction="1")),
    ("cancel order 3", cancel(3)),
    ("cancel order #3", cancel(3)),
    ("cancel #12", cancel(12)),
    ("please cancel my order number 7", cancel(7)),
    ("buy btc 0.01 limit 80000", order(BUY, "BTC", "0.01", price="80000")),
    ("buy btc 0.1", order(BUY, "BTC", "0.1")),
    ("sell eth 50%", order(SELL, "ETH", fraction="0.5")),
    ("sell eth all", order(SELL, "ETH", fraction="1")),
    ("buy sol $50", order(BUY, "SOL", "50", quote=True)),
    # case, filler words, punctuation, emoji
    ("BUY 0.1 BTC AT MARKET", order(BUY, "BTC", "0.1")),
    ("Please buy 0.1 btc at market!", order(BUY, "BTC", "0.1")),
    ("can you please buy 0.1 btc for me", UNKNOWN),  # "for" without money or a price
    ("could you buy 0.1 btc please", order(BUY, "BTC", "0.1")),
    ("i want to buy 0.1 btc now 🚀", order(BUY, "BTC", "0.1")),
    ("hey bot, sell 2 eth, thanks", order(SELL, "ETH", "2")),
    ("market buy 0.1 btc", order(BUY, "BTC", "0.1")),
    ("buy 0.1 btc at the market price", order(BUY, "BTC", "0.1")),
    ("buy 0.1 bitcoin", order(BUY, "BTC", "0.1")),
    ("buy 0.1btc", order(BUY, "BTC", "0.1")),
    ("buy 0.1 BTC/USDT", order(BUY, "BTC/USDT", "0.1")),
    ("buy 0.1 btc-usdt", order(BUY, "BTC/USDT", "0.1")),
    ("buy 0.1 btcusdt", order(BUY, "BTCUSDT", "0.1")),
    # numbers as people write them
    ("buy 0,5 eth", order(BUY, "ETH", "0.5")),
    ("buy 1,5 eth", order(BUY, "ETH", "1.5")),
    ("buy .5 eth", order(BUY, "ETH", "0.5")),
    ("buy 1k doge", order(BUY, "DOGE", "1000")),
    ("buy 1.5k doge", order(BUY, "DOGE", "1500")),
    ("sell 0.1 btc at 50,000", order(SELL, "BTC", "0.1", price="50000")),
    ("sell 0.1 btc at 65k", order(SELL, "BTC", "0.1", price="65000")),
    ("sell 0.1 btc @ 65000", order(SELL, "BTC", "0.1", price="65000")),
    ("sell 0.1 btc @65000", order(SELL, "BTC", "0.1", price="65000")),
    ("sell 0.1 btc at $65000", order(SELL, "BTC", "0.1", price="65000")),
    ("sell 0.1 btc limit 65000", order(SELL, "BTC", "0.1", price="65000")),
    ("sell 1 eth for 3100", order(SELL, "ETH", "1", price="3100")),
    # quote amounts
    ("buy 50$ of sol", order(BUY, "SOL", "50", quote=True)),
    ("buy 50 usd of sol", order(BUY, "SOL", "50", quote=True)),
    ("buy 50 dollars worth of sol", order(BUY, "SOL", "50", quote=True)),
    ("buy 50 usdt of sol", order(BUY, "SOL/USDT", "50", quote=True)),
    ("buy 50 USDC of sol", order(BUY, "SOL/USDC", "50", quote=True)),
    ("buy sol for $50", order(BUY, "SOL", "50", quote=True)),
    ("buy sol with 50 usdt", order(BUY, "SOL/USDT", "50", quote=True)),
    ("buy $1k of eth at 3000", order(BUY, "ETH", "1000", quote=True, price="3000")),
    # shares of a holding
    ("sell all my eth", order(SELL, "ETH", fraction="1")),
    ("sell all of my sol @ 160", order(SELL, "SOL", fraction="1", price="160")),
    ("sell everything eth", order(SELL, "ETH", fraction="1")),
    ("sell a quarter of my btc", order(SELL, "BTC", fraction="0.25")),
    ("sell 25% of my eth", order(SELL, "ETH", fraction="0.25")),
    ("sell 25 % eth at market", order(SELL, "ETH", fraction="0.25")),
    ("sell 100% btc", order(SELL, "BTC", fraction="1")),
    # read-only variations
    ("balance", read(BALANCE)),
    ("what's my balance?", read(BALANCE)),
    ("show my portfolio", read(BALANCE)),
    ("how much do i have", read(BALANCE)),
    ("how much btc do i have", read(BALANCE)),
    ("btc price", read(PRICE, "BTC")),
    ("what's the price of bitcoin?", read(PRICE, "BTC")),
    ("how much is sol", read(PRICE, "SOL")),
    ("what is eth at", read(PRICE, "ETH")),
    ("SOL/USDT price please", read(PRICE, "SOL/USDT")),
    ("open orders", read(ORDERS)),
    ("list my open orders on eth", read(ORDERS, "ETH")),
    ("cancel all orders", read(CANCEL_ALL)),
    ("cancel everything", read(CANCEL_ALL)),
    ("please cancel my btc orders", read(CANCEL_ALL, "BTC")),
    # not understood
    ("", UNKNOWN),
    ("hello", UNKNOWN),
    ("buy", UNKNOWN),
    ("buy btc", UNKNOWN),
    ("sell all", UNKNOWN),
    ("buy 0.1", UNKNOWN),
    ("buy me a coffee", UNKNOWN),
    ("what is the weather", UNKNOWN),
    ("🚀🚀🚀", UNKNOWN),
    ("x" * 10_000, UNKNOWN),
    ("buy 0.1 btc " * 1000, UNKNOWN),
    # numbers where no rule expects one
    ("buy 0.1 btc 0.2", UNKNOWN),
    ("buy 0.1 0.2 btc", UNKNOWN),
    ("price of sol 150", UNKNOWN),
    ("show my 5 orders", UNKNOWN),
    ("cancel 3 orders", UNKNOWN),  # a count, not an order id
    ("cancel order 1.5", UNKNOWN),
    ("cancel order 0", UNKNOWN),
    ("cancel order 3 4", UNKNOWN),
    ("cancel order 1k", UNKNOWN),
    ("close", UNKNOWN),
    ("close all positions", UNKNOWN),  # closing everything is not read from one word
    ("close 0.1 btc", UNKNOWN),
    ("close btc eth", UNKNOWN),
    ("btc history", UNKNOWN),
    ("positions 2", UNKNOWN),
    ("buy btc 0.01 80000", UNKNOWN),  # a bare second number: never guessed to be a price
    ("sell 0.1 btc buy", UNKNOWN),
    ("balance 100", UNKNOWN),
    ("buy -0.1 btc", UNKNOWN),
    ("sell 150% eth", UNKNOWN),
    ("sell 0% eth", UNKNOWN),
    ("buy 0 btc", UNKNOWN),
    ("sell 1 btc at 0", UNKNOWN),
    ("buy 0.1 btc at 50000 at 51000", UNKNOWN),
    ("buy 0.1 btc at market at 50000", UNKNOWN),
    ("buy 0.1 btc at", UNKNOWN),
    ("buy 0.1 btc at xyz", UNKNOWN),
    ("buy 50 usdt of sol at 20 usdt", UNKNOWN),
    ("buy 1e9999 btc", UNKNOWN),
    ("buy 99999999999999999999 btc", UNKNOWN),
    ("buy 0.1 btc eth", UNKNOWN),
    ("price of btc and eth", UNKNOWN),
    ("buy 0.1 btc; drop table users", UNKNOWN),
]


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[t[:40] for t, _ in TABLE])
def test_phrasings(text: str, expected: Intent) -> None:
    assert parse_intent(text) == expected


def test_intent_json_round_trip() -> None:
    intent = order(SELL, "ETH", fraction="0.5", price="3100")
    assert Intent.from_json(intent.to_json()) == intent


def test_numbers_in_reads_like_the_tokeniser() -> None:
    assert numbers_in("buy 1k doge at 0,5 or 1,000.5") == {D(1), D(1000), D("0.5"), D("1000.5")}
    assert [t.kind for t in tokenize("$50 @ 3% -1")] == [
        "$",
        "num",
        "@",
        "num",
        "%",
        "junk",
        "num",
    ]


settings.register_profile(
    "intents", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

WORDS = [  # fmt: skip
    "buy",
    "sell",
    "half",
    "all",
    "my",
    "of",
    "at",
    "market",
    "price",
    "balance",
    "orders",
    "cancel",
    "btc",
    "eth",
    "sol",
    "usdt",
    "$",
    "%",
    "@",
    "for",
    "with",
    "please",
    "k",
    "1k",
    "0,5",
    "0.1",
    "0",
    "3100",
    "25%",
    "-",
    "🚀",
    "\u200b",
    "what",
    "is",
    "how",
    "much",
    "limit",
    "close",
    "position",
    "history",
    "#",
    "3",
    "купить",
    "половину",
    "по",
    "al",
    "买入",
    "一半",
]


def _assert_sane(text: str, intent: Intent) -> None:
    assert isinstance(intent, Intent)
    assert intent.action in IntentAction
    allowed = numbers_in(text)
    for value in intent.numbers():
        assert value in allowed, (value, text)
        assert value > 0
    if intent.fraction is not None:
        assert 0 < intent.fraction <= 1
    if intent.action is IntentAction.UNKNOWN:
        assert intent == UNKNOWN
    if intent.action.is_order:
        assert intent.symbol and (intent.amount is None) != (intent.fraction is None)


@settings(settings.get_profile("intents"))
@given(st.text(max_size=400))
def test_any_text_never_raises_nor_invents_numbers(text: str) -> None:
    _assert_sane(text, parse_intent(text))


@settings(settings.get_profile("intents"))
@given(st.lists(st.sampled_from(WORDS), max_size=12))
def test_word_salad_never_raises_nor_invents_numbers(words: list[str]) -> None:
    text = " ".join(words)
    _assert_sane(text, parse_intent(text))
