"""The model fallback for plain-language commands the grammar does not read.

``AIIntentParser`` asks an OpenAI-compatible server once for ``AIIntentAnswer`` and trusts the
answer only when every number it gives is written in the text and every portion word ("half",
"all") is there too (``intent_from_answer``); symbol resolution is the caller's job (it needs
the exchange). ``ask`` never raises: any failure or rejection is None.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal

import structlog
from pydantic import BaseModel, ConfigDict

from services.intents.lexicon import FRACTION_WORDS
from services.intents.model import AI_CONFIDENCE, MAX_COMMAND_CHARS, Intent, IntentAction
from services.intents.tokens import numbers_in, tokenize, translate, words_of
from services.llm import AnswerRejected, StructuredModel, openai_client
from services.numbers import Ambiguous, Role, read_number

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = structlog.get_logger(__name__)

SYSTEM_PROMPT: Final = """\
You read one chat message a crypto trader sent to a trading bot and say what it asks for.
action: buy or sell (an order), balance (show holdings), price (a coin's price), orders (list
open orders), positions (list positions), history (past orders), cancel_all (cancel open
orders), or unknown when it is none of these.
symbol: the coin or pair as named (BTC, SOL, BTC/USDT); null when none is named.
amount: the amount written, digits only; amount_in_quote true when it is money to spend
("$50 of sol", "50 usdt of sol"), false when it is coins ("0.1 btc").
portion: "all", "half" or "quarter" when the message sells or buys such a share; percent: the
percentage written ("25" for 25%). price: the limit price written; null for market orders.
Never invent a number that is not in the message."""


class AIIntentAnswer(BaseModel):
    """The structured-output schema the model fills in (numbers as strings, as written)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "buy",
        "sell",
        "balance",
        "price",
        "orders",
        "positions",
        "history",
        "cancel_all",
        "unknown",
    ]
    symbol: str | None
    amount: str | None
    amount_in_quote: bool
    portion: Literal["all", "half", "quarter"] | None
    percent: str | None
    price: str | None


PORTIONS: Final = {"all": Decimal(1), "half": Decimal("0.5"), "quarter": Decimal("0.25")}
# a portion word in any language the lexicon reads ("половину" is translated to "half")
PORTION_WORDS: Final = {
    name: ({w for w, v in FRACTION_WORDS.items() if v == value}, value)
    for name, value in PORTIONS.items()
}


def _written(raw: str, allowed: set[Decimal], what: str) -> Decimal:
    """The model's number read as the text's numbers are (``services.numbers``: ``0,5`` is
    0.5); one that reads two ways is taken as the reading written in the text (the doubt is
    asked back afterwards, as for the grammar's)."""
    read = read_number(raw.strip().removesuffix("%"), Role.PRICE)
    if isinstance(read, Ambiguous):
        read = read.grouped if read.grouped in allowed else read.decimal
    if read is None:
        raise AnswerRejected(f"{what} is not a number")
    if not read.is_finite() or read <= 0 or read not in allowed:
        raise AnswerRejected(f"{what} is not written in the text")
    return read


def _fraction(answer: AIIntentAnswer, text: str, allowed: set[Decimal]) -> Decimal | None:
    """The share of the holding the answer names (a percent or a portion word), if any."""
    if answer.percent:
        percent = _written(answer.percent, allowed, "percent")
        if percent > 100:
            raise AnswerRejected("percent above 100")
        return percent / 100
    if answer.portion:
        words, value = PORTION_WORDS[answer.portion]
        if not words & set(words_of(translate(tokenize(text)))):
            raise AnswerRejected("portion is not written in the text")
        return value
    return None


def intent_from_answer(answer: AIIntentAnswer, text: str) -> Intent:
    """Validate a model answer against ``text``; raises ``AnswerRejected``."""
    action = IntentAction(answer.action)
    if action is IntentAction.UNKNOWN:
        raise AnswerRejected("the model did not understand either")
    allowed = numbers_in(text)
    amount = _written(answer.amount, allowed, "amount") if answer.amount else None
    price = _written(answer.price, allowed, "price") if answer.price else None
    fraction = _fraction(answer, text, allowed)
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
    if action in {IntentAction.BALANCE, IntentAction.HISTORY}:
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
