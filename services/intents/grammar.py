"""The grammar of plain-language commands: tokens in, an ``Intent`` out (no ML).

Other languages' words are first rewritten into English (``tokens.translate``) and filler words
dropped; then the rule groups try to explain every token that is left: orders (``buy 0.1 btc at
3100``, ``buy btc 0.01 limit 80000``, ``sell half eth``, ``$50 of sol``, the verb last as
Turkish puts it: ``0.1 btc al``), perpetual-futures orders (``short eth 0.5 at 3100 5x``,
``open a 5x long on sol with 50 usdt``: ``long`` buys, ``short`` sells, the leverage is read
as written and checked by the trading service), closing a position (``close my btc
position``: sell all of it), cancelling one order (``cancel order 3``) and read-only commands
(balance, price, open orders, positions, history, cancel all). Anything left over that no
rule explains makes the whole command ``UNKNOWN``: a number in a place no rule expects is never
guessed at. ``parse_intent`` never raises.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import structlog

from services.intents.lexicon import (
    BALANCE_WORDS,
    BUY_WORDS,
    CANCEL_WORDS,
    CLOSE_WORDS,
    EVERY_WORDS,
    FILLERS,
    FOR_WORDS,
    FRACTION_WORDS,
    HISTORY_WORDS,
    LEVERAGE_WORDS,
    LEVERAGE_X,
    LONG_WORDS,
    MARKET_WORDS,
    OPEN_WORDS,
    ORDER_FILLERS,
    ORDER_NUMBER_WORDS,
    ORDER_WORDS,
    POSITION_WORDS,
    PRICE_AT_WORDS,
    PRICE_WORDS,
    READ_FILLERS,
    SELL_WORDS,
    SHORT_WORDS,
    coin,
)
from services.intents.model import (
    GRAMMAR_CONFIDENCE,
    MAX_COMMAND_CHARS,
    UNKNOWN,
    Intent,
    IntentAction,
)
from services.intents.tokens import Token, merge_units, tokenize, translate, words_of
from services.leverage import PERP_WORDS

log = structlog.get_logger(__name__)

MAX_ORDER_ID_DIGITS = 18
# what a read-only command may name besides fillers: its action words
ACTION_WORDS = (
    PRICE_WORDS | BALANCE_WORDS | ORDER_WORDS | CANCEL_WORDS | POSITION_WORDS | HISTORY_WORDS
)


def parse_intent(text: str) -> Intent:
    """The grammar's reading of ``text``; ``UNKNOWN`` when no rule explains every word."""
    if not text or len(text) > MAX_COMMAND_CHARS:
        return UNKNOWN
    try:
        tokens = merge_units(translate(tokenize(text)))
        tokens = [t for t in tokens if not _is(t, FILLERS)]
        if not tokens or any(t.kind in {"$", "%", "junk"} for t in tokens):
            return UNKNOWN
        perp = _perp_order(tokens)
        if perp is not None:
            return perp
        return (
            _order(tokens)
            or _close(tokens)
            or _cancel_one(tokens)
            or _read_only(tokens)
            or UNKNOWN
        )
    except (ArithmeticError, ValueError) as exc:  # defensive: a parser bug must not crash chat
        log.warning("intent_parse_failed", error_type=type(exc).__name__)
        return UNKNOWN


def _is(token: Token, words: frozenset[str]) -> bool:
    return token.kind == "word" and token.text in words


def _coin(token: Token) -> str | None:
    return coin(token.text) if token.kind == "word" else None


def _side(token: Token) -> IntentAction | None:
    if _is(token, BUY_WORDS | LONG_WORDS):
        return IntentAction.BUY
    if _is(token, SELL_WORDS | SHORT_WORDS):
        return IntentAction.SELL
    return None


def _perp_order(tokens: list[Token]) -> Intent | None:
    """A perp order (``long``/``short``, ``perp`` or a leverage named), or None when nothing
    says perps. Once something does, only an order explains the rest (else ``UNKNOWN``)."""
    rest, leverage = _take_leverage(tokens)
    if rest is None:
        return UNKNOWN
    named_perp = [t for t in rest if _is(t, PERP_WORDS)]
    rest = [t for t in rest if not _is(t, PERP_WORDS)]
    sided = any(_is(t, LONG_WORDS | SHORT_WORDS) for t in rest)
    if leverage is None and not named_perp and not sided:
        return None
    if len(rest) > 1 and _is(rest[0], OPEN_WORDS) and _is(rest[1], LONG_WORDS | SHORT_WORDS):
        rest = rest[1:]  # "open a 5x long on sol"
    intent = _order(rest) if rest else None
    if intent is None or not intent.action.is_order:
        return UNKNOWN
    return replace(intent, perp=True, leverage=leverage)


def _take_leverage(tokens: list[Token]) -> tuple[list[Token] | None, int | None]:
    """Strip ``10x`` / ``x10`` (with a ``with``/``at`` before it and ``leverage`` after it):
    (the tokens left, or None when the leverage is not a whole number or given twice; the
    leverage as written)."""
    out: list[Token] = []
    leverage: int | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        digits: str | None = None
        if tok.kind == "num" and nxt is not None and _is(nxt, frozenset({LEVERAGE_X})):
            digits, i = tok.text, i + 2
        elif tok.kind == "word" and tok.text.startswith(LEVERAGE_X) and tok.text[1:].isdigit():
            digits, i = tok.text[1:], i + 1
        if digits is None:
            out.append(tok)
            i += 1
            continue
        if not digits.isdigit() or leverage is not None:
            return None, None  # "2.5x", or two leverages
        leverage = int(digits)
        if out and _is(out[-1], frozenset({"with", "at", "using"})):
            out.pop()  # "with 10x", "at 10x"
        if i < len(tokens) and _is(tokens[i], LEVERAGE_WORDS):
            i += 1  # "10x leverage"
    return out, leverage


def _verb(tokens: list[Token]) -> tuple[IntentAction, list[Token], bool] | None:
    """(side, the tokens after the verb, "market" led) for ``[market] buy ...`` or ``... al``."""
    leading_market = _is(tokens[0], MARKET_WORDS)
    first = 1 if leading_market else 0
    if len(tokens) > first and (side := _side(tokens[first])) is not None:
        return side, tokens[first + 1 :], leading_market
    if len(tokens) > 1 and (side := _side(tokens[-1])) is not None:
        return side, tokens[:-1], False  # the verb last: "0.1 btc al" (Turkish)
    return None


def _order(tokens: list[Token]) -> Intent | None:
    found = _verb(tokens)
    if found is None:
        return None
    action, after_verb, leading_market = found
    rest = [t for t in after_verb if not _is(t, ORDER_FILLERS)]
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
        if _is(tok, MARKET_WORDS):
            market = True
            if nxt is not None and _is(nxt, frozenset({"price"})):
                i += 1
            i += 1
            continue
        if _is(tok, PRICE_AT_WORDS):
            if nxt is not None and _is(nxt, MARKET_WORDS):
                i += 1  # "at market": the market word is read next round
                continue
            if nxt is not None and _is(nxt, frozenset({"at", "price"})):
                i += 1  # "limit at 3100", "at price 3100"
                continue
            if nxt is not None and (
                nxt.kind == "num" or (nxt.kind == "money" and nxt.unit is None)
            ):
                if price is not None:
                    return None, None, False
                price = nxt.number
                i += 2
                if i < len(tokens) and _is(tokens[i], frozenset({"each"})):
                    i += 1
                continue
            return None, None, False
        out.append(tok)
        i += 1
    return out, price, market


def _amount_and_coin(action: IntentAction, rest: list[Token]) -> Intent | None:
    """``0.1 btc`` · ``btc 0.1`` · ``$50 sol`` · ``sol for $50`` · ``half eth`` · ``25% eth``.

    A trailing ``for <num>`` after a base amount is a price ("sell 1 eth for 3100")."""
    if len(rest) == 4 and _is(rest[2], frozenset({"for"})):
        if rest[3].kind in {"num", "money"} and rest[3].unit is None and rest[0].kind == "num":
            head = _amount_and_coin(action, rest[:2])
            if head is not None and not head.amount_in_quote:
                return replace(head, price=rest[3].number)
        return None
    if len(rest) == 2:
        return _amount_then_coin(action, *rest) or _amount_then_coin(action, *reversed(rest))
    if len(rest) == 3 and _is(rest[1], FOR_WORDS):
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


def _close(tokens: list[Token]) -> Intent | None:
    """``close my btc position`` / ``закрой позицию btc`` / ``btc pozisyonu kapat``: a sell of
    the whole holding (planned, so the amount is shown before anything happens)."""
    if not (_is(tokens[0], CLOSE_WORDS) or _is(tokens[-1], CLOSE_WORDS)):
        return None
    coins = [c for c in map(_coin, tokens) if c is not None]
    allowed = CLOSE_WORDS | POSITION_WORDS | frozenset({"all", "out", "on", "in", "at", "for"})
    if len(coins) != 1 or not all(_is(t, allowed) or _coin(t) for t in tokens):
        return None
    return Intent(IntentAction.SELL, coins[0], fraction=Decimal(1), confidence=GRAMMAR_CONFIDENCE)


def _cancel_one(tokens: list[Token]) -> Intent | None:
    """``cancel order 3`` / ``cancel #3`` / ``emir 3 iptal``: the number comes after a cancel,
    order or "number" word and only cancel words follow it, so "cancel 3 orders" is not it."""
    numbers = [i for i, t in enumerate(tokens) if t.kind != "word"]
    if len(numbers) != 1 or not any(_is(t, CANCEL_WORDS) for t in tokens):
        return None
    at = numbers[0]
    number = tokens[at]
    if number.kind != "num" or not number.text.isdigit():
        return None
    if len(number.text) > MAX_ORDER_ID_DIGITS or int(number.text) <= 0:
        return None
    allowed = CANCEL_WORDS | ORDER_WORDS | ORDER_NUMBER_WORDS | frozenset({"open", "pending"})
    words = [t for t in tokens if t.kind == "word"]
    if at == 0 or not all(_is(t, allowed) for t in words):
        return None
    if not _is(tokens[at - 1], CANCEL_WORDS | ORDER_WORDS | ORDER_NUMBER_WORDS):
        return None
    if not all(_is(t, CANCEL_WORDS) for t in tokens[at + 1 :]):
        return None
    return Intent(IntentAction.CANCEL, order_id=int(number.text), confidence=GRAMMAR_CONFIDENCE)


def _read_only(tokens: list[Token]) -> Intent | None:
    if any(t.kind != "word" for t in tokens):
        return None  # numbers have no place in a read-only command
    words = set(words_of(tokens))
    coins = [c for c in map(_coin, tokens) if c is not None]
    others = [w for w in words if w not in READ_FILLERS | ACTION_WORDS and coin(w) is None]
    if others or len(coins) > 1:
        return None
    named = coins[0] if coins else None
    done = GRAMMAR_CONFIDENCE
    if words & CANCEL_WORDS:
        if words & (ORDER_WORDS | EVERY_WORDS):
            return Intent(IntentAction.CANCEL_ALL, named, confidence=done)
        return None
    if words & HISTORY_WORDS:  # "order history" is history, not open orders
        return None if named else Intent(IntentAction.HISTORY, confidence=done)
    if words & POSITION_WORDS:
        return Intent(IntentAction.POSITIONS, named, confidence=done)
    if words & BALANCE_WORDS or ({"how"} <= words and words & {"have", "own", "hold"}):
        return Intent(IntentAction.BALANCE, confidence=done)
    if words & ORDER_WORDS:
        return Intent(IntentAction.ORDERS, named, confidence=done)
    if named is not None and (
        words & PRICE_WORDS or {"how", "much"} <= words or {"what", "at"} <= words
    ):
        return Intent(IntentAction.PRICE, named, confidence=done)
    return None
