"""The grammar of plain-language commands: tokens in, an ``Intent`` out (no ML).

Filler words are dropped, then two rule groups try to explain every token that is left: orders
(``buy 0.1 btc at 3100``, ``sell half eth``, ``$50 of sol``) and read-only commands (balance,
price, open orders, cancel all). Anything left over that no rule explains makes the whole
command ``UNKNOWN``: a number in a place no rule expects is never guessed at. ``parse_intent``
never raises.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import structlog

from services.intents.lexicon import (
    BALANCE_WORDS,
    BUY_WORDS,
    CANCEL_WORDS,
    FILLERS,
    FRACTION_WORDS,
    ORDER_FILLERS,
    ORDER_WORDS,
    PRICE_WORDS,
    READ_FILLERS,
    SELL_WORDS,
    coin,
)
from services.intents.model import (
    GRAMMAR_CONFIDENCE,
    MAX_COMMAND_CHARS,
    UNKNOWN,
    Intent,
    IntentAction,
)
from services.intents.tokens import Token, merge_units, tokenize, words_of

log = structlog.get_logger(__name__)


def parse_intent(text: str) -> Intent:
    """The grammar's reading of ``text``; ``UNKNOWN`` when no rule explains every word."""
    if not text or len(text) > MAX_COMMAND_CHARS:
        return UNKNOWN
    try:
        tokens = merge_units(tokenize(text))
        tokens = [t for t in tokens if not (t.kind == "word" and t.text in FILLERS)]
        if not tokens or any(t.kind in {"$", "%", "junk"} for t in tokens):
            return UNKNOWN
        return _order(tokens) or _read_only(tokens) or UNKNOWN
    except (ArithmeticError, ValueError) as exc:  # defensive: a parser bug must not crash chat
        log.warning("intent_parse_failed", error_type=type(exc).__name__)
        return UNKNOWN


def _coin(token: Token) -> str | None:
    return coin(token.text) if token.kind == "word" else None


def _order(tokens: list[Token]) -> Intent | None:
    if not words_of(tokens):
        return None
    leading_market = tokens[0].kind == "word" and tokens[0].text in {"market", "mkt"}
    verb = tokens[1] if leading_market and len(tokens) > 1 else tokens[0]
    if verb.kind != "word" or verb.text not in BUY_WORDS | SELL_WORDS:
        return None
    action = IntentAction.BUY if verb.text in BUY_WORDS else IntentAction.SELL
    start = 2 if leading_market else 1
    rest = [t for t in tokens[start:] if not (t.kind == "word" and t.text in ORDER_FILLERS)]
    remaining, price, market = _take_price(rest)
    if remaining is None:
        return UNKNOWN
    intent = _amount_and_coin(action, remaining)
    if intent is None or (price is not None and intent.price is not None):
        return UNKNOWN
    price = price if price is not None else intent.price
    if any(n <= 0 for n in (intent.amount, price) if n is not None):
        return UNKNOWN  # "buy 0 btc": nothing to do, and no rule reads a zero as meant
    if (market or leading_market) and price is not None:
        return UNKNOWN  # "at market" and "at 3100" at once
    return replace(intent, price=price, confidence=GRAMMAR_CONFIDENCE)


def _take_price(tokens: list[Token]) -> tuple[list[Token] | None, Decimal | None, bool]:
    """Strip the price part: ``at 3100`` / ``@ $3100`` / ``limit 3100`` / ``at market``.

    Returns (remaining tokens or None when the price part is malformed, price, market)."""
    out: list[Token] = []
    price: Decimal | None = None
    market = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "word" and tok.text in {"market", "mkt"}:
            market = True
            if nxt is not None and nxt.kind == "word" and nxt.text == "price":
                i += 1
            i += 1
            continue
        if tok.kind == "word" and tok.text in {"at", "limit", "price"}:
            if nxt is not None and nxt.kind == "word" and nxt.text in {"market", "mkt"}:
                i += 1  # "at market": the market word is read next round
                continue
            if nxt is not None and nxt.kind == "word" and nxt.text in {"at", "price"}:
                i += 1  # "limit at 3100", "at price 3100"
                continue
            if nxt is not None and (
                nxt.kind == "num" or (nxt.kind == "money" and nxt.unit is None)
            ):
                if price is not None:
                    return None, None, False
                price = nxt.number
                i += 2
                if i < len(tokens) and tokens[i].kind == "word" and tokens[i].text == "each":
                    i += 1
                continue
            return None, None, False
        out.append(tok)
        i += 1
    return out, price, market


def _amount_and_coin(action: IntentAction, rest: list[Token]) -> Intent | None:
    """``0.1 btc`` · ``$50 sol`` · ``sol for $50`` · ``half eth`` · ``25% eth`` · ``all eth``.

    A trailing ``for <num>`` after a base amount is a price ("sell 1 eth for 3100")."""
    if len(rest) == 4 and rest[2].kind == "word" and rest[2].text == "for":
        if rest[3].kind in {"num", "money"} and rest[3].unit is None and rest[0].kind == "num":
            head = _amount_and_coin(action, rest[:2])
            if head is not None and not head.amount_in_quote:
                return replace(head, price=rest[3].number)
        return None
    if len(rest) == 2:
        return _amount_then_coin(action, *rest)
    if len(rest) == 3 and rest[1].kind == "word" and rest[1].text in {"for", "with", "using"}:
        named = _coin(rest[0])
        money = rest[2]
        if named is None or money.kind != "money":
            return None
        return Intent(action, _with_quote(named, money.unit), money.number, True)
    return None


def _amount_then_coin(action: IntentAction, amount: Token, coin_tok: Token) -> Intent | None:
    """``0.1 btc`` · ``$50 sol`` · ``25% eth`` · ``half eth``."""
    named = _coin(coin_tok)
    if named is None:
        return None
    if amount.kind == "num":
        return Intent(action, named, amount=amount.number)
    if amount.kind == "money":
        return Intent(action, _with_quote(named, amount.unit), amount.number, True)
    if amount.kind == "pct" and amount.number is not None:
        if not 0 < amount.number <= 100:
            return None
        return Intent(action, named, fraction=amount.number / 100)
    if amount.kind == "word" and amount.text in FRACTION_WORDS:
        return Intent(action, named, fraction=FRACTION_WORDS[amount.text])
    return None


def _with_quote(symbol: str, unit: str | None) -> str:
    if unit is None or "/" in symbol:
        return symbol
    return f"{symbol}/{unit}"


def _read_only(tokens: list[Token]) -> Intent | None:
    if any(t.kind != "word" for t in tokens):
        return None  # numbers have no place in a read-only command
    words = set(words_of(tokens))
    coins = [c for c in (_coin(t) for t in tokens) if c is not None]
    others = [
        w
        for w in words
        if w not in READ_FILLERS
        and w not in PRICE_WORDS | BALANCE_WORDS | ORDER_WORDS | CANCEL_WORDS
        and coin(w) is None
    ]
    if others or len(coins) > 1:
        return None
    named = coins[0] if coins else None
    done = GRAMMAR_CONFIDENCE
    if words & CANCEL_WORDS:
        if words & (ORDER_WORDS | {"all", "everything", "every"}):
            return Intent(IntentAction.CANCEL_ALL, named, confidence=done)
        return None
    if words & BALANCE_WORDS or ({"how"} <= words and words & {"have", "own", "hold"}):
        return Intent(IntentAction.BALANCE, confidence=done)
    if words & ORDER_WORDS:
        return Intent(IntentAction.ORDERS, named, confidence=done)
    if named is not None and (
        words & PRICE_WORDS or {"how", "much"} <= words or {"what", "at"} <= words
    ):
        return Intent(IntentAction.PRICE, named, confidence=done)
    return None
