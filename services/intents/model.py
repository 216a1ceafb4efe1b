"""What a plain-language command asks for: ``IntentAction`` and the ``Intent`` value.

An ``Intent`` carries amounts exactly as written (never computed here) and the confidence of
whoever read it: the grammar (``GRAMMAR_CONFIDENCE``) or the model (``AI_CONFIDENCE``).
``UNKNOWN`` is the answer for anything not understood. An action either only reads
(``is_read_only``: answered at once) or changes something (orders, cancels: confirmed first).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

MAX_COMMAND_CHARS: Final = 300  # longer text is not a command; the model is not asked either
GRAMMAR_CONFIDENCE: Final = 0.95
AI_CONFIDENCE: Final = 0.7
NOT_UNDERSTOOD: Final = "I did not understand that."


class IntentAction(StrEnum):
    BUY = "buy"
    SELL = "sell"
    BALANCE = "balance"
    PRICE = "price"
    ORDERS = "orders"
    POSITIONS = "positions"
    HISTORY = "history"
    CANCEL = "cancel"  # one open order, by its id
    CANCEL_ALL = "cancel_all"
    UNKNOWN = "unknown"

    @property
    def is_order(self) -> bool:
        return self in {IntentAction.BUY, IntentAction.SELL}

    @property
    def is_read_only(self) -> bool:
        """Shows something and changes nothing: answered without a Confirm button."""
        return self in READ_ONLY


READ_ONLY: Final = frozenset(
    {
        IntentAction.BALANCE,
        IntentAction.PRICE,
        IntentAction.ORDERS,
        IntentAction.POSITIONS,
        IntentAction.HISTORY,
    }
)


@dataclass(frozen=True, slots=True)
class Intent:
    """What a plain-language command asks for. Amounts are as written (never computed here):
    ``amount`` in base units, or in quote units when ``amount_in_quote``; ``fraction`` (0-1] of
    the holding instead of an amount; ``price`` None means at market; ``order_id`` is the
    order a ``CANCEL`` names; ``perp`` orders go to perpetual futures, a ``BUY`` opening or
    adding to a long, a ``SELL`` to a short, at ``leverage`` (None: 1x)."""

    action: IntentAction
    symbol: str | None = None  # as the user named it, upper-case: "BTC", "BTC/USDT"
    amount: Decimal | None = None
    amount_in_quote: bool = False
    fraction: Decimal | None = None
    price: Decimal | None = None
    confidence: float = 0.0
    order_id: int | None = None
    perp: bool = False  # perpetual futures: "long", "short", "perp" or a leverage was named
    leverage: int | None = None  # as written ("10x"); checked by the trading service

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "symbol": self.symbol,
            "amount": None if self.amount is None else str(self.amount),
            "amount_in_quote": self.amount_in_quote,
            "fraction": None if self.fraction is None else str(self.fraction),
            "price": None if self.price is None else str(self.price),
            "confidence": self.confidence,
            "order_id": self.order_id,
            "perp": self.perp,
            "leverage": self.leverage,
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
            order_id=None if data.get("order_id") is None else int(data["order_id"]),
            perp=bool(data.get("perp")),
            leverage=None if data.get("leverage") is None else int(data["leverage"]),
        )

    def numbers(self) -> list[Decimal]:
        """The numbers this intent took from the text (fraction excluded: it may be a word)."""
        order_id = None if self.order_id is None else Decimal(self.order_id)
        leverage = None if self.leverage is None else Decimal(self.leverage)
        return [n for n in (self.amount, self.price, order_id, leverage) if n is not None]


UNKNOWN: Final = Intent(IntentAction.UNKNOWN)
