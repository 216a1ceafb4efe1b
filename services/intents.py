"""Plain-language commands -> a typed ``Intent``: a small grammar first, a model as fallback.

The grammar is a tokeniser plus a handful of rules (no ML): filler words are dropped, amounts are
read as people write them (``0,5``, ``1k``, ``$50``, ``50 usdt``, ``half``, ``all my``, ``25%``),
and anything left over that no rule explains makes the whole command ``unknown``: a number in a
place no rule expects is never guessed at. ``parse_intent`` never raises.

The model fallback (``AIIntentParser``) asks an OpenAI-compatible server for the same schema and
trusts the answer only when every number it gives is written in the text and every portion word
("half", "all") is there too; symbol resolution is the caller's job (it needs the exchange).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Literal

import structlog
from pydantic import BaseModel, ConfigDict

from services.llm import AnswerRejected, StructuredModel, openai_client

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = structlog.get_logger(__name__)

MAX_COMMAND_CHARS: Final = 300  # longer text is not a command; the model is not asked either
GRAMMAR_CONFIDENCE: Final = 0.95
AI_CONFIDENCE: Final = 0.7
NOT_UNDERSTOOD: Final = "I did not understand; try: buy 0.1 btc at market"


class IntentAction(StrEnum):
    BUY = "buy"
    SELL = "sell"
    BALANCE = "balance"
    PRICE = "price"
    ORDERS = "orders"
    CANCEL_ALL = "cancel_all"
    UNKNOWN = "unknown"

    @property
    def is_order(self) -> bool:
        return self in {IntentAction.BUY, IntentAction.SELL}


@dataclass(frozen=True, slots=True)
class Intent:
    """What a plain-language command asks for. Amounts are as written (never computed here):
    ``amount`` in base units, or in quote units when ``amount_in_quote``; ``fraction`` (0-1] of
    the holding instead of an amount; ``price`` None means at market."""

    action: IntentAction
    symbol: str | None = None  # as the user named it, upper-case: "BTC", "BTC/USDT"
    amount: Decimal | None = None
    amount_in_quote: bool = False
    fraction: Decimal | None = None
    price: Decimal | None = None
    confidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "symbol": self.symbol,
            "amount": None if self.amount is None else str(self.amount),
            "amount_in_quote": self.amount_in_quote,
            "fraction": None if self.fraction is None else str(self.fraction),
            "price": None if self.price is None else str(self.price),
            "confidence": self.confidence,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        def dec(key: str) -> Decimal | None:
            raw = data.get(key)
            return None if raw is None else Decimal(str(raw))

        return cls(
            action=IntentAction(data["action"]),
            symbol=data.get("symbol"),
            amount=dec("amount"),
            amount_in_quote=bool(data.get("amount_in_quote")),
            fraction=dec("fraction"),
            price=dec("price"),
            confidence=float(data.get("confidence", 0.0)),
        )

    def numbers(self) -> list[Decimal]:
        """The numbers this intent took from the text (fraction excluded: it may be a word)."""
        return [n for n in (self.amount, self.price) if n is not None]


UNKNOWN: Final = Intent(IntentAction.UNKNOWN)

# -- tokeniser ---------------------------------------------------------------------------------

_TOKEN_RE: Final = re.compile(
    r"""
    (?P<num>(?P<body>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+)(?P<mult>[km](?![a-z]))?)
    |(?P<word>[a-z][a-z0-9]*(?:[/\-][a-z][a-z0-9]*)?)
    |(?P<neg>-(?=[.\d]))
    |(?P<sym>[$@%])
    """,
    re.VERBOSE,
)
_MULTIPLIERS: Final = {"k": Decimal(1000), "m": Decimal(1_000_000)}
MAX_NUMBER: Final = Decimal(10) ** 15


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num | money | pct | word | junk | $ | @ | %
    text: str
    number: Decimal | None = None
    unit: str | None = None  # money: the quote written ("USDT"), None for $ / usd


def _number(raw: str, mult: str | None) -> Decimal | None:
    if "," in raw and re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        raw = raw.replace(",", "")  # 1,000 / 12,500.5: thousands separators
    else:
        raw = raw.replace(",", ".")  # 0,5: a decimal comma
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if mult:
        value *= _MULTIPLIERS[mult]
    if not value.is_finite() or value > MAX_NUMBER:
        return None
    return value


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokenize(text: str) -> list[Token]:
    """Numbers, words and the symbols ``$ @ %``; everything else (emoji, punctuation) is a gap.

    A number that does not read (too large) or a minus sign before one becomes a ``junk``
    token, which no rule accepts."""
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(_normalise(text)):
        if match.group("num") is not None:
            value = _number(match.group("body"), match.group("mult"))
            if value is None:
                tokens.append(Token("junk", match.group("num")))
            else:
                tokens.append(Token("num", match.group("num"), value))
        elif match.group("word") is not None:
            tokens.append(Token("word", match.group("word")))
        elif match.group("neg") is not None:
            tokens.append(Token("junk", "-"))
        else:
            tokens.append(Token(match.group("sym"), match.group("sym")))
    return tokens


def numbers_in(text: str) -> set[Decimal]:
    """Every number written in ``text`` as the tokeniser reads it (``1k`` gives 1000 and 1)."""
    found: set[Decimal] = set()
    for match in _TOKEN_RE.finditer(_normalise(text)):
        if match.group("num") is None:
            continue
        for mult in {None, match.group("mult")}:
            value = _number(match.group("body"), mult)
            if value is not None:
                found.add(value)
    return found


# -- words -------------------------------------------------------------------------------------

QUOTE_UNITS: Final[dict[str, str | None]] = {
    "usdt": "USDT",
    "usdc": "USDC",
    "busd": "BUSD",
    "fdusd": "FDUSD",
    "usd": None,
    "dollar": None,
    "dollars": None,
    "bucks": None,
}
ALIASES: Final = {
    "bitcoin": "BTC",
    "bitcoins": "BTC",
    "ether": "ETH",
    "ethereum": "ETH",
    "solana": "SOL",
    "dogecoin": "DOGE",
    "ripple": "XRP",
    "cardano": "ADA",
    "litecoin": "LTC",
    "polkadot": "DOT",
}


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


FILLERS: Final = _wordset(
    "please pls plz kindly can could would will you u i id d want wanna like to me the a an some "
    "my of worth now right just go ahead hey hi hello bot ok okay then quickly asap thanks thank "
    "thx pleasee also let lets us"
)
BUY_WORDS: Final = frozenset({"buy", "purchase", "acquire"})
SELL_WORDS: Final = frozenset({"sell", "dump"})
ORDER_FILLERS: Final = frozenset({"order", "place", "make", "spot", "worth", "of"})
FRACTION_WORDS: Final = {
    "half": Decimal("0.5"),
    "all": Decimal(1),
    "everything": Decimal(1),
    "entire": Decimal(1),
    "whole": Decimal(1),
    "quarter": Decimal("0.25"),
}
PRICE_WORDS: Final = frozenset({"price", "prices", "quote", "rate", "trading", "cost", "costs"})
BALANCE_WORDS: Final = frozenset(
    {"balance", "balances", "portfolio", "wallet", "funds", "holdings", "assets", "bal"}
)
ORDER_WORDS: Final = frozenset({"orders", "order"})
CANCEL_WORDS: Final = frozenset({"cancel", "kill", "remove", "delete"})
READ_FILLERS: Final = _wordset(
    "what whats is are s show list display get check tell give see view how much many do have "
    "own hold current currently open pending active on for in at with all every everything "
    "there any"
)
RESERVED: Final = (
    FILLERS
    | BUY_WORDS
    | SELL_WORDS
    | ORDER_FILLERS
    | frozenset(FRACTION_WORDS)
    | PRICE_WORDS
    | BALANCE_WORDS
    | ORDER_WORDS
    | CANCEL_WORDS
    | READ_FILLERS
    | frozenset(QUOTE_UNITS)
    | frozenset({"market", "mkt", "limit", "at", "for", "with", "using", "and", "or", "not"})
)
_COIN_RE: Final = re.compile(r"[a-z][a-z0-9]{1,14}(?:[/\-][a-z][a-z0-9]{1,9})?")


def _coin(token: Token) -> str | None:
    """The symbol a word names ("btc" -> "BTC", "btc-usdt" -> "BTC/USDT"), or None."""
    if token.kind != "word":
        return None
    if token.text in ALIASES:
        return ALIASES[token.text]
    if token.text in RESERVED or not _COIN_RE.fullmatch(token.text):
        return None
    return token.text.upper().replace("-", "/")


def _merge(tokens: list[Token]) -> list[Token]:
    """``$ 50`` / ``50 $`` / ``50 usdt`` -> money; ``25 %`` -> pct; ``@`` -> ``at``."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "$" and nxt is not None and nxt.kind == "num":
            out.append(Token("money", nxt.text, nxt.number))
            i += 2
            continue
        if tok.kind == "num" and nxt is not None:
            if nxt.kind == "$":
                out.append(Token("money", tok.text, tok.number))
                i += 2
                continue
            if nxt.kind == "word" and nxt.text in QUOTE_UNITS:
                out.append(Token("money", tok.text, tok.number, QUOTE_UNITS[nxt.text]))
                i += 2
                continue
            if nxt.kind == "%":
                out.append(Token("pct", tok.text, tok.number))
                i += 2
                continue
        if tok.kind == "@":
            out.append(Token("word", "at"))
        else:
            out.append(tok)
        i += 1
    return out


def _words(tokens: list[Token]) -> list[str]:
    return [t.text for t in tokens if t.kind == "word"]


# -- rules -------------------------------------------------------------------------------------


def parse_intent(text: str) -> Intent:
    """The grammar's reading of ``text``; ``UNKNOWN`` when no rule explains every word."""
    if not text or len(text) > MAX_COMMAND_CHARS:
        return UNKNOWN
    try:
        tokens = _merge(tokenize(text))
        tokens = [t for t in tokens if not (t.kind == "word" and t.text in FILLERS)]
        if not tokens or any(t.kind in {"$", "%", "junk"} for t in tokens):
            return UNKNOWN
        return _order(tokens) or _read_only(tokens) or UNKNOWN
    except (ArithmeticError, ValueError) as exc:  # defensive: a parser bug must not crash chat
        log.warning("intent_parse_failed", error_type=type(exc).__name__)
        return UNKNOWN


def _order(tokens: list[Token]) -> Intent | None:
    words = _words(tokens)
    if not words:
        return None
    leading_market = tokens[0].kind == "word" and tokens[0].text in {"market", "mkt"}
    verb = tokens[1] if leading_market and len(tokens) > 1 else tokens[0]
    if verb.kind != "word" or verb.text not in BUY_WORDS | SELL_WORDS:
        return None
    action = IntentAction.BUY if verb.text in BUY_WORDS else IntentAction.SELL
    start = 2 if leading_market else 1
    rest = [t for t in tokens[start:] if not (t.kind == "word" and t.text in ORDER_FILLERS)]
    rest, price, market = _take_price(rest)
    if rest is None:
        return UNKNOWN
    intent = _amount_and_coin(action, rest)
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
        amount, coin_tok = rest
        coin = _coin(coin_tok)
        if coin is None:
            return None
        if amount.kind == "num":
            return Intent(action, coin, amount=amount.number)
        if amount.kind == "money":
            return Intent(action, _with_quote(coin, amount.unit), amount.number, True)
        if amount.kind == "pct" and amount.number is not None:
            if not 0 < amount.number <= 100:
                return None
            return Intent(action, coin, fraction=amount.number / 100)
        if amount.kind == "word" and amount.text in FRACTION_WORDS:
            return Intent(action, coin, fraction=FRACTION_WORDS[amount.text])
        return None
    if len(rest) == 3 and rest[1].kind == "word" and rest[1].text in {"for", "with", "using"}:
        coin = _coin(rest[0])
        money = rest[2]
        if coin is None or money.kind != "money":
            return None
        return Intent(action, _with_quote(coin, money.unit), money.number, True)
    return None


def _with_quote(coin: str, unit: str | None) -> str:
    if unit is None or "/" in coin:
        return coin
    return f"{coin}/{unit}"


def _read_only(tokens: list[Token]) -> Intent | None:
    if any(t.kind != "word" for t in tokens):
        return None  # numbers have no place in a read-only command
    words = set(_words(tokens))
    coins = [c for c in (_coin(t) for t in tokens) if c is not None]
    others = [
        w
        for w in words
        if w not in READ_FILLERS
        and w not in PRICE_WORDS | BALANCE_WORDS | ORDER_WORDS | CANCEL_WORDS
        and _coin(Token("word", w)) is None
    ]
    if others or len(coins) > 1:
        return None
    coin = coins[0] if coins else None
    done = GRAMMAR_CONFIDENCE
    if words & CANCEL_WORDS:
        if words & (ORDER_WORDS | {"all", "everything", "every"}):
            return Intent(IntentAction.CANCEL_ALL, coin, confidence=done)
        return None
    if words & BALANCE_WORDS or ({"how"} <= words and words & {"have", "own", "hold"}):
        return Intent(IntentAction.BALANCE, confidence=done)
    if words & ORDER_WORDS:
        return Intent(IntentAction.ORDERS, coin, confidence=done)
    if coin is not None and (
        words & PRICE_WORDS or {"how", "much"} <= words or {"what", "at"} <= words
    ):
        return Intent(IntentAction.PRICE, coin, confidence=done)
    return None


# -- model fallback ----------------------------------------------------------------------------

SYSTEM_PROMPT: Final = """\
You read one chat message a crypto trader sent to a trading bot and say what it asks for.
action: buy or sell (an order), balance (show holdings), price (a coin's price), orders (list
open orders), cancel_all (cancel open orders), or unknown when it is none of these.
symbol: the coin or pair as named (BTC, SOL, BTC/USDT); null when none is named.
amount: the amount written, digits only; amount_in_quote true when it is money to spend
("$50 of sol", "50 usdt of sol"), false when it is coins ("0.1 btc").
portion: "all", "half" or "quarter" when the message sells or buys such a share; percent: the
percentage written ("25" for 25%). price: the limit price written; null for market orders.
Never invent a number that is not in the message."""


class AIIntentAnswer(BaseModel):
    """The structured-output schema the model fills in (numbers as strings, as written)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["buy", "sell", "balance", "price", "orders", "cancel_all", "unknown"]
    symbol: str | None
    amount: str | None
    amount_in_quote: bool
    portion: Literal["all", "half", "quarter"] | None
    percent: str | None
    price: str | None


PORTION_WORDS: Final = {
    "all": ({"all", "everything", "entire", "whole"}, Decimal(1)),
    "half": ({"half"}, Decimal("0.5")),
    "quarter": ({"quarter"}, Decimal("0.25")),
}


def _written(raw: str, allowed: set[Decimal], what: str) -> Decimal:
    cleaned = raw.strip().lstrip("$").replace(",", "").removesuffix("%")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise AnswerRejected(f"{what} is not a number") from exc
    if not value.is_finite() or value <= 0 or value not in allowed:
        raise AnswerRejected(f"{what} is not written in the text")
    return value


def intent_from_answer(answer: AIIntentAnswer, text: str) -> Intent:
    """Validate a model answer against ``text``; raises ``AnswerRejected``."""
    action = IntentAction(answer.action)
    if action is IntentAction.UNKNOWN:
        raise AnswerRejected("the model did not understand either")
    allowed = numbers_in(text)
    amount = _written(answer.amount, allowed, "amount") if answer.amount else None
    price = _written(answer.price, allowed, "price") if answer.price else None
    fraction: Decimal | None = None
    if answer.percent:
        percent = _written(answer.percent, allowed, "percent")
        if percent > 100:
            raise AnswerRejected("percent above 100")
        fraction = percent / 100
    elif answer.portion:
        words, value = PORTION_WORDS[answer.portion]
        if not words & set(_words(tokenize(text))):
            raise AnswerRejected("portion is not written in the text")
        fraction = value
    symbol = (answer.symbol or "").strip().upper().lstrip("$#") or None
    if action.is_order:
        if symbol is None:
            raise AnswerRejected("an order needs a coin")
        if (amount is None) == (fraction is None):
            raise AnswerRejected("an order needs exactly one of amount and portion")
    elif amount is not None or price is not None or fraction is not None:
        raise AnswerRejected("numbers in a read-only command")
    if action is IntentAction.PRICE and symbol is None:
        raise AnswerRejected("a price needs a coin")
    if action is IntentAction.BALANCE:
        symbol = None
    return Intent(
        action=action,
        symbol=symbol,
        amount=amount,
        amount_in_quote=answer.amount_in_quote and amount is not None,
        fraction=fraction,
        price=price,
        confidence=AI_CONFIDENCE,
    )


class AIIntentParser:
    """Asks an OpenAI-compatible model once (no retries, short timeout); validates the answer.

    ``ask`` returns None on any failure or rejection; it never raises to the caller."""

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        *,
        timeout: float = 8.0,
        owns_client: bool = False,
    ) -> None:
        self._model = StructuredModel(
            client,
            model=model,
            schema=AIIntentAnswer,
            system_prompt=SYSTEM_PROMPT,
            timeout=timeout,
            log_prefix="ai_intent",
            owns_client=owns_client,
        )

    @classmethod
    def from_config(
        cls, *, api_key: str, model: str, base_url: str | None, timeout: float
    ) -> AIIntentParser:
        client = openai_client(api_key=api_key, base_url=base_url, timeout=timeout)
        return cls(client, model, timeout=timeout, owns_client=True)

    async def aclose(self) -> None:
        await self._model.aclose()

    async def ask(self, text: str) -> Intent | None:
        if not text.strip() or len(text) > MAX_COMMAND_CHARS:
            return None
        answer = await self._model.ask(text)
        if answer is None:
            return None
        try:
            return intent_from_answer(answer, text)
        except AnswerRejected as exc:
            log.info("ai_intent_rejected", reason=str(exc))
            return None
