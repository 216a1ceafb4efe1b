"""Model fallback: when the rules are unsure, ask an OpenAI-compatible model for the same schema.

The answer is trusted only after validation: every number must be written in the post (after
normalisation) and the side must agree with the levels. Any model failure (timeout, 5xx,
refusal, invalid JSON) falls back to the rules result; nothing here raises to the caller.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from core.domain import Market, Side, SignalKind, UpdateType
from services.llm import AnswerRejected, StructuredModel, openai_client
from services.signal_parser.model import EntryValue, ParseResult, UpdateInfo
from services.signal_parser.normalize import numbers_in
from services.signal_parser.rules import parse_rules

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = structlog.get_logger(__name__)

DEFAULT_THRESHOLD: Final = 0.6
DEFAULT_TIMEOUT_S: Final = 8.0
CACHE_TTL_S: Final = 7 * 24 * 3600
CACHE_PREFIX: Final = "sigparse:v1:"
AI_CONFIDENCE: Final = 0.8

SYSTEM_PROMPT: Final = """\
You read one post from a crypto trading-signals channel (any language) and return its meaning.
kind: "entry" for a new trade (a coin plus a side and/or price levels), "update" for a follow-up
about an existing trade (target hit, stop hit, stop moved, closed, partially closed, cancelled,
entry filled), "other" for anything else (adverts, commentary, greetings).
base/quote: upper-case symbols (BTCUSDT -> BTC/USDT); quote null when the post does not write it.
side: long or short only if the post states it (buy = long, sell = short); else null.
market: "futures" when the post names futures, perpetual, leverage, cross or isolated; "spot" when
it says spot; else null.
entry_market: true when the entry is market / CMP / now. entry: the entry prices as written (one
price, or the two ends of a zone); add-on (DCA) levels are not entries.
targets: take-profit prices in the order written; a range "3695-3730" is two targets.
stop_loss: the stop price as written; null when only a percentage is given.
leverage: the number written; for a range (5-10x) the lower bound.
Write every number exactly as in the post (digits only, thousands separators removed).
update_type / target_index: for updates only (tp_hit with the target number when known).
Never invent a number that is not in the post."""


class AISignal(BaseModel):
    """The structured-output schema the model fills in (numbers as strings, exactly as written)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["entry", "update", "other"]
    base: str | None
    quote: str | None
    side: Literal["long", "short"] | None
    market: Literal["spot", "futures"] | None
    entry_market: bool
    entry: list[str]
    targets: list[str]
    stop_loss: str | None
    leverage: str | None
    update_type: (
        Literal[
            "tp_hit",
            "sl_hit",
            "move_sl",
            "close",
            "partial_close",
            "cancel",
            "entry_filled",
            "other",
        ]
        | None
    )
    target_index: int | None


class JsonCache(Protocol):
    """The cache the fallback uses (``core.cache.Cache`` fits)."""

    async def get_json(self, key: str) -> Any | None: ...

    async def set_json(self, key: str, value: Any, ttl_s: int) -> None: ...


class ModelFallback(Protocol):
    """What ``parse_with_fallback`` asks when the rules are unsure (``AIParser`` is the one)."""

    async def improve(self, text: str, rules: ParseResult) -> ParseResult: ...


class AIParser:
    """Asks an OpenAI-compatible model when the rules are unsure; validates before trusting."""

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        cache: JsonCache | None = None,
        cache_ttl_s: int = CACHE_TTL_S,
        owns_client: bool = False,
    ) -> None:
        self._model = StructuredModel(
            client,
            model=model,
            schema=AISignal,
            system_prompt=SYSTEM_PROMPT,
            timeout=timeout,
            log_prefix="ai_request",
            owns_client=owns_client,
        )
        self._cache = cache
        self._cache_ttl_s = cache_ttl_s

    @classmethod
    def from_config(
        cls,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        cache: JsonCache | None = None,
    ) -> AIParser:
        """Build the client from plain settings (no retries, short timeout)."""
        client = openai_client(api_key=api_key, base_url=base_url, timeout=timeout)
        return cls(client, model, timeout=timeout, cache=cache, owns_client=True)

    async def aclose(self) -> None:
        """Close the HTTP client if ``from_config`` built it (a passed-in client is the
        caller's to close)."""
        await self._model.aclose()

    async def ask(self, text: str) -> ParseResult | None:
        """The model's validated reading of ``text``, or None on any failure or rejection."""
        key = CACHE_PREFIX + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        answer = await self._cached(key)
        if answer is None:
            answer = await self._model.ask(text)
            if answer is None:
                return None
            if self._cache is not None:
                try:
                    await self._cache.set_json(key, answer.model_dump(), self._cache_ttl_s)
                except Exception as exc:  # a cache outage must not cost the answer
                    log.warning("ai_cache_write_failed", error=str(exc))
        try:
            return to_result(answer, text)
        except AnswerRejected as exc:
            log.info("ai_answer_rejected", reason=str(exc))
            return None

    async def improve(self, text: str, rules: ParseResult) -> ParseResult:
        """The better of the rules result and the model's validated answer."""
        ai = await self.ask(text)
        if ai is None or ai.confidence <= rules.confidence:
            return rules
        return ai

    async def _cached(self, key: str) -> AISignal | None:
        if self._cache is None:
            return None
        try:
            raw = await self._cache.get_json(key)
            return None if raw is None else AISignal.model_validate(raw)
        except (ValidationError, ValueError, TypeError):
            return None
        except Exception as exc:
            log.warning("ai_cache_read_failed", error=str(exc))
            return None


def _decimal(raw: str, allowed: set[Decimal], what: str) -> Decimal:
    """The one number in the model's ``raw``, read by the same reader as the post's numbers
    (decimal commas, thousands separators, ``$``...), and only if the post writes it."""
    found = numbers_in(raw)
    if len(found) != 1:
        raise AnswerRejected(f"{what} {raw!r} is not one number")
    value = found.pop()
    if not value.is_finite() or value not in allowed:
        raise AnswerRejected(f"{what} {raw!r} is not written in the post")
    return value


def to_result(answer: AISignal, text: str) -> ParseResult:
    """Turn a model answer into a ``ParseResult``; raises ``AnswerRejected`` when it does not
    hold up against the post."""
    allowed = numbers_in(text)
    entry_nums = [_decimal(x, allowed, "entry") for x in answer.entry]
    targets = tuple(_decimal(x, allowed, "target") for x in answer.targets)
    stop = _decimal(answer.stop_loss, allowed, "stop") if answer.stop_loss else None
    leverage = _decimal(answer.leverage, allowed, "leverage") if answer.leverage else None
    kind = SignalKind(answer.kind)
    side = Side(answer.side) if answer.side else None
    if kind is SignalKind.ENTRY:
        if not answer.base:
            raise AnswerRejected("an entry needs a coin")
        _check_sides(side, entry_nums, targets, stop)
    entry: EntryValue
    if answer.entry_market:
        entry = "market"
    elif len(entry_nums) == 1:
        entry = (entry_nums[0],)
    elif entry_nums:
        entry = (min(entry_nums), max(entry_nums))
    else:
        entry = None
    update = None
    if kind is SignalKind.UPDATE:
        update = UpdateInfo(UpdateType(answer.update_type or "other"), answer.target_index)
    base = answer.base.upper().lstrip("#$") if answer.base else None
    if base is not None and base.lower() not in text.lower():
        raise AnswerRejected(f"coin {base!r} is not named in the post")
    return ParseResult(
        kind=kind,
        base=base,
        quote=answer.quote.upper() if answer.quote else None,
        side=side,
        market=Market(answer.market) if answer.market else None,
        entry=entry if kind is SignalKind.ENTRY else None,
        targets=targets,
        stop_loss=stop,
        leverage=leverage if kind is SignalKind.ENTRY else None,
        update=update,
        confidence=AI_CONFIDENCE,
        parser="ai",
        spans=_spans(text, base, answer),
    )


def _check_sides(
    side: Side | None, entry: list[Decimal], targets: tuple[Decimal, ...], stop: Decimal | None
) -> None:
    if side is None:
        return
    long = side is Side.LONG
    if entry:
        lo, hi = min(entry), max(entry)
        if any((t <= hi) if long else (t >= lo) for t in targets):
            raise AnswerRejected("targets on the wrong side of the entry")
        if stop is not None and ((stop >= lo) if long else (stop <= hi)):
            raise AnswerRejected("stop on the wrong side of the entry")
    elif (
        stop is not None and targets and any((t <= stop) if long else (t >= stop) for t in targets)
    ):
        raise AnswerRejected("targets on the wrong side of the stop")


def _spans(text: str, base: str | None, answer: AISignal) -> dict[str, tuple[int, int]]:
    """Best-effort spans for a model answer: first place each value is written."""
    spans: dict[str, tuple[int, int]] = {}
    low = text.lower()
    if base:
        at = low.find(base.lower())
        if at >= 0:
            spans["base"] = (at, at + len(base))
    for name, raw in (("stop_loss", answer.stop_loss), ("leverage", answer.leverage)):
        if raw:
            at = text.find(raw)
            if at >= 0:
                spans[name] = (at, at + len(raw))
    return spans


async def parse_with_fallback(
    text: str, ai: ModelFallback | None, threshold: float = DEFAULT_THRESHOLD
) -> ParseResult:
    """Rules first; below ``threshold`` confidence ask the model and keep the better answer."""
    rules = parse_rules(text)
    if ai is None or rules.confidence >= threshold:
        return rules
    try:
        return await ai.improve(text, rules)
    except Exception as exc:  # the fallback is optional: never lose the rules result
        log.warning("ai_fallback_failed", error_type=type(exc).__name__, error=str(exc))
        return rules
