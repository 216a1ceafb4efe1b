"""Perpetual-futures orders in plain language (issue 9): ``long``/``short``, ``perp`` and a
leverage (``5x``, ``x5``) read into the same intent a ``/buy ... 5x`` makes; the leverage is
read as written (the trading service checks its range), and the leverage words of ``/buy``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import UserError
from services.intents import UNKNOWN, Intent, IntentAction, parse_intent
from services.leverage import checked_leverage, split_perp_words

D = Decimal
BUY, SELL = IntentAction.BUY, IntentAction.SELL


def perp(
    action: IntentAction,
    symbol: str,
    amount: str,
    *,
    leverage: int | None,
    quote: bool = False,
    price: str | None = None,
) -> Intent:
    return Intent(
        action,
        symbol,
        amount=D(amount),
        amount_in_quote=quote,
        price=None if price is None else D(price),
        confidence=0.95,
        perp=True,
        leverage=leverage,
    )


CASES = [
    ("short eth 0.5 at 3100 5x", perp(SELL, "ETH", "0.5", leverage=5, price="3100")),
    ("long btc 100 usdt 10x", perp(BUY, "BTC/USDT", "100", leverage=10, quote=True)),
    ("open a 5x long on sol with 50 usdt", perp(BUY, "SOL/USDT", "50", leverage=5, quote=True)),
    ("buy btc 100usdt 10x", perp(BUY, "BTC/USDT", "100", leverage=10, quote=True)),
    ("go long 0.1 eth x20", perp(BUY, "ETH", "0.1", leverage=20)),
    ("long btc $100 with 10x leverage", perp(BUY, "BTC", "100", leverage=10, quote=True)),
    ("Short 0.5 ETH @ 3100, 5X", perp(SELL, "ETH", "0.5", leverage=5, price="3100")),
    ("buy 0.01 btc perp", perp(BUY, "BTC", "0.01", leverage=None)),
    ("short 1 sol", perp(SELL, "SOL", "1", leverage=None)),
    # out of range: read as written, refused with the range by the trading service
    ("long btc 100 usdt 200x", perp(BUY, "BTC/USDT", "100", leverage=200, quote=True)),
    ("long btc 100 usdt 0x", perp(BUY, "BTC/USDT", "100", leverage=0, quote=True)),
    # other languages
    ("шорт eth 0.5 по 3100 5x", perp(SELL, "ETH", "0.5", leverage=5, price="3100")),
    ("做多 btc 100 usdt 10倍", perp(BUY, "BTC/USDT", "100", leverage=10, quote=True)),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[t for t, _ in CASES])
def test_perp_orders(text: str, expected: Intent) -> None:
    assert parse_intent(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "long btc 2.5x 100 usdt",  # not a whole leverage
        "long btc 100 usdt 5x 10x",  # two leverages
        "short",  # no coin, no amount
        "10x",
        "long my positions",
        "open a 5x position",
    ],
)
def test_perp_words_without_an_order_are_not_guessed(text: str) -> None:
    assert parse_intent(text) == UNKNOWN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show open orders", IntentAction.ORDERS),
        ("buy 0.1 btc at 3100", BUY),
        ("close my btc position", SELL),
    ],
)
def test_spot_commands_stay_spot(text: str, expected: IntentAction) -> None:
    intent = parse_intent(text)
    assert intent.action is expected
    assert not intent.perp and intent.leverage is None


def test_a_perp_intent_survives_its_stored_json() -> None:
    intent = parse_intent("short eth 0.5 at 3100 5x")
    assert Intent.from_json(intent.to_json()) == intent
    assert D(5) in intent.numbers()


@pytest.mark.parametrize(
    ("text", "rest", "is_perp", "leverage"),
    [
        ("btc 100usdt 10x", "btc 100usdt", True, 10),
        ("btc 100usdt X10 @main", "btc 100usdt @main", True, 10),
        ("eth 0.5 at 3100 perp", "eth 0.5 at 3100", True, None),
        ("eth 0.5 3100", "eth 0.5 3100", False, None),
        (None, "", False, None),
    ],
)
def test_order_words_split_their_perp_part(
    text: str | None, rest: str, is_perp: bool, leverage: int | None
) -> None:
    words = split_perp_words(text)
    assert (words.text, words.perp, words.leverage) == (rest, is_perp, leverage)


@pytest.mark.parametrize("text", ["btc 100usdt 0x", "btc 100usdt 200x", "btc 1 5x 10x"])
def test_bad_leverage_words_are_refused(text: str) -> None:
    with pytest.raises(UserError):
        split_perp_words(text)


@pytest.mark.parametrize(("value", "ok"), [(1, True), (125, True), (0, False), (126, False)])
def test_leverage_range(value: int, ok: bool) -> None:
    if ok:
        assert checked_leverage(value) == value
    else:
        with pytest.raises(UserError, match="from 1x to 125x"):
            checked_leverage(value)
