"""What the signals feature needs from outside it, as Protocols.

``SignalTrading`` is the slice of the trading service that says whether anything was traded on
a signal; ``SignalPlans`` (the trade-plan service) makes the followers' plans and applies channel
updates to them, idempotent per (signal, follower) and per (update, plan); ``SignalMessages``
renders what the feature queues in the outbox (the handler layer implements it, so no HTML is
written here); ``MarketPrices`` is the price feed the bot already has (the paper exchange's),
read to judge whether an entry fits the market. The parser's model fallback is
``services.signal_parser.ai.ModelFallback``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from core.domain import UpdateType
from services.exchange.base import Ticker
from services.signal_dto import CardKind, EventView, SignalView, UnplacedUpdate


class SignalTrading(Protocol):
    """The part of the trading service the signals feature uses."""

    async def traded_signal_ids(self, signal_ids: list[int]) -> set[int]: ...


class MarketPrices(Protocol):
    """A price feed: the current price of a unified symbol ("BTC/USDT", "BTC/USDT:USDT");
    raises ``UserError`` for a symbol it does not price."""

    async def ticker(self, symbol: str) -> Ticker: ...


class SignalPlans(Protocol):
    """Following a signal to its end (the trade-plan service): a plan per auto/confirm
    follower, made once per (signal, follower); a channel update applied to those plans."""

    async def plan_signal(self, view: SignalView, activated_at: datetime) -> None: ...

    async def apply_update(
        self,
        signal_id: int,
        event_id: int,
        kind: UpdateType,
        text: str,
        *,
        stop: Decimal | None = None,
    ) -> int: ...

    async def apply_edit(
        self,
        signal_id: int,
        event_id: int,
        targets: tuple[Decimal, ...],
        stop: Decimal | None,
    ) -> int: ...


class SignalMessages(Protocol):
    """Renders what the service queues in the outbox (implemented in the handler layer)."""

    def card(self, signal: SignalView, kind: CardKind, note: str | None = None) -> str: ...

    # Button rows in the outbox's (and ``Notifier``'s) shape: InlineKeyboardButton fields.
    def card_buttons(self, signal: SignalView) -> list[list[dict[str, Any]]]: ...

    def new_signal(self, signal: SignalView) -> str: ...

    def event(self, signal: SignalView, event: EventView) -> str: ...

    # Link buttons of a held short entry: one per open signal it may restate.
    def link_buttons(
        self, signal: SignalView, choices: tuple[SignalView, ...]
    ) -> list[list[dict[str, Any]]]: ...

    def unplaced(self, update: UnplacedUpdate) -> str: ...

    # The owner's buttons for an unplaced update: link to one of its choices, or ignore.
    def place_buttons(self, update: UnplacedUpdate) -> list[list[dict[str, Any]]]: ...
