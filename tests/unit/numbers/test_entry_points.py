"""The number table through every entry point that reads a typed or posted number: /buy and
/sell's arguments (amount and price), plain-language orders (amount and price), the signal
card's Edit form, and the signal parser's number conversion. Each reads the table's numbers as
``services.numbers`` does in its role; an order's doubtful number is asked back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import UserError
from services.intents import AIIntentAnswer, IntentAction, intent_from_answer, parse_intent
from services.intents.doubts import doubt_question
from services.numbers import AmbiguousNumber
from services.signal_parser.normalize import to_decimal
from services.signals import parse_edit_value
from services.symbols import parse_order_args, parse_quote_amount
from tests.unit.numbers.table import ROWS, Ask, Expected, Row

WORDS = [r for r in ROWS if r.one_word]


def positive(expected: Expected) -> Decimal | Ask | None:
    """What an entry point that wants a number above zero makes of ``expected``."""
    if isinstance(expected, Decimal) and expected <= 0:
        return None
    return expected


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_signal_parser_conversion(row: Row) -> None:
    assert to_decimal(row.written) == row.signal


@pytest.mark.parametrize("row", WORDS, ids=[r.id for r in WORDS])
def test_buy_amount(row: Row) -> None:
    expected = positive(row.coins)
    if isinstance(expected, Decimal):
        assert parse_order_args(f"btc {row.written}", "buy").amount == expected
        return
    error = AmbiguousNumber if isinstance(expected, Ask) else UserError
    with pytest.raises(error) as raised:
        parse_order_args(f"btc {row.written}", "buy")
    assert (raised.type is AmbiguousNumber) is isinstance(expected, Ask)


@pytest.mark.parametrize("row", WORDS, ids=[r.id for r in WORDS])
def test_sell_price(row: Row) -> None:
    expected = positive(row.price)
    if isinstance(expected, Decimal):
        assert parse_order_args(f"eth 0.5 {row.written}", "sell").price == expected
        return
    error = AmbiguousNumber if isinstance(expected, Ask) else UserError
    with pytest.raises(error) as raised:
        parse_order_args(f"eth 0.5 {row.written}", "sell")
    assert (raised.type is AmbiguousNumber) is isinstance(expected, Ask)


@pytest.mark.parametrize("row", WORDS, ids=[r.id for r in WORDS])
def test_plain_language_amount(row: Row) -> None:
    text = f"buy {row.written} btc"
    intent = parse_intent(text)
    expected = positive(row.coins)
    if expected is None:
        assert intent.action is IntentAction.UNKNOWN
        return
    assert intent.action is IntentAction.BUY
    question = doubt_question(intent, text)
    if isinstance(expected, Ask):
        assert question is not None and "reads both ways" in question
        assert intent.amount in (expected.grouped, expected.decimal)
    else:
        assert (intent.amount, question) == (expected, None)


@pytest.mark.parametrize("row", WORDS, ids=[r.id for r in WORDS])
def test_plain_language_price(row: Row) -> None:
    text = f"buy 0.1 btc at {row.written}"
    intent = parse_intent(text)
    expected = positive(row.price)
    if expected is None:
        assert intent.action is IntentAction.UNKNOWN
        return
    question = doubt_question(intent, text)
    if isinstance(expected, Ask):
        assert question is not None and intent.price in (expected.grouped, expected.decimal)
    else:
        assert (intent.price, question) == (expected, None)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_edit_form_stop_loss(row: Row) -> None:
    """One field, one number: even ``64 000`` with an ordinary space is one."""
    expected = positive(row.price)
    if isinstance(expected, Decimal):
        assert parse_edit_value("stop_loss", row.written) == {"stop_loss": expected}
        return
    error = AmbiguousNumber if isinstance(expected, Ask) else UserError
    with pytest.raises(error) as raised:
        parse_edit_value("stop_loss", row.written)
    assert (raised.type is AmbiguousNumber) is isinstance(expected, Ask)


@pytest.mark.parametrize("row", WORDS, ids=[r.id for r in WORDS])
def test_edit_form_targets(row: Row) -> None:
    """A list of targets: each word one number, read as a typed price."""
    expected = positive(row.price)
    if isinstance(expected, Decimal):
        assert parse_edit_value("targets", f"{row.written} 99999999") == {
            "targets": (expected, Decimal(99999999))
        }
        return
    with pytest.raises(UserError):
        parse_edit_value("targets", f"{row.written} 99999999")


ASKED = [
    ("btc 1,000", "Did you mean 1000 BTC or 1 BTC?", "Send /buy btc 1000 or /buy btc 1."),
    ("btc 1.000 @main", "1000 BTC or 1 BTC", "Send /buy btc 1000 @main or /buy btc 1 @main."),
    ("ethbtc 2.500 btc", "2500 BTC or 2.5 BTC", "/buy ethbtc 2500 btc or /buy ethbtc 2.5 btc."),
    ("btc $1.000", "1000 USDT or 1 USDT", "Send /buy btc $1000 or /buy btc $1."),
    ("btc 0.1 64.000", "64000 USDT or 64 USDT", "/buy btc 0.1 64000 or /buy btc 0.1 64."),
    ("btc 1,125", "1125 BTC or 1.1250 BTC", "/buy btc 1125 or /buy btc 1.1250."),
]


@pytest.mark.parametrize(("args", "question", "retry"), ASKED, ids=[a for a, _, _ in ASKED])
def test_buy_asks_back_naming_both_commands(args: str, question: str, retry: str) -> None:
    with pytest.raises(AmbiguousNumber) as raised:
        parse_order_args(args, "buy")
    assert question in raised.value.user_message
    assert retry in raised.value.user_message


def test_buy_asks_back_with_the_words_as_typed() -> None:
    """Perp words are taken out before the amount is read; the question keeps them."""
    with pytest.raises(AmbiguousNumber, match=r"/buy btc 1000 10x or /buy btc 1 10x\."):
        parse_order_args("btc 1,000", "buy", typed="btc 1,000 10x")


def test_money_in_an_order_groups_by_comma() -> None:
    for args in ("btc 1,000usdt", "btc 1,000 usdt", "btc $1,000", "btc 1,000$"):
        order = parse_order_args(args, "buy")
        assert (order.amount, order.amount_in_quote) == (Decimal(1000), True), args


def test_plain_language_asks_back_with_the_sentence() -> None:
    text = "купи 1,000 btc"
    question = doubt_question(parse_intent(text), text)
    assert question is not None
    assert question.endswith("Send купи 1000 btc or купи 1 btc.")
    assert doubt_question(parse_intent("buy 1,000 usdt of btc"), "buy 1,000 usdt of btc") is None


MODEL_ANSWERS = [
    ("0,5", "buy 0,5 sol please", Decimal("0.5")),  # read as 5 before: "0,5" -> "05"
    ("0.5", "buy 0,5 sol please", Decimal("0.5")),
    ("1,000", "grab 1,000 sol", Decimal(1000)),
    ("۰٫۵", "buy ۰٫۵ sol please", Decimal("0.5")),
]


@pytest.mark.parametrize(
    ("amount", "text", "expected"), MODEL_ANSWERS, ids=[t for _, t, _ in MODEL_ANSWERS]
)
def test_the_models_numbers_read_like_the_texts(amount: str, text: str, expected: Decimal) -> None:
    """The AI fallback's answer is read by the same reader, and its doubt asked back too."""
    fields = {"action": "buy", "symbol": "SOL", "amount": amount, "amount_in_quote": False}
    fields |= {"portion": None, "percent": None, "price": None}
    intent = intent_from_answer(AIIntentAnswer.model_validate(fields), text)
    assert intent.amount == expected
    assert (doubt_question(intent, text) is not None) is (text == "grab 1,000 sol")


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_follow_amount_per_trade(row: Row) -> None:
    """/follow's amount per trade is a sum of money: a typed price's reading."""
    expected = positive(row.price)
    if isinstance(expected, Decimal):
        assert parse_quote_amount(row.written, "amount per trade") == expected
        return
    error = AmbiguousNumber if isinstance(expected, Ask) else UserError
    with pytest.raises(error) as raised:
        parse_quote_amount(row.written, "amount per trade")
    assert (raised.type is AmbiguousNumber) is isinstance(expected, Ask)
