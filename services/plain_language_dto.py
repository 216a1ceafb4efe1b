"""What plain-language commands hand back: a plan behind buttons, an outcome, or text that
was not understood. Frozen values, no I/O; ``services.plain_language`` makes them and the
handlers render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from services.exchange.base import Position
from services.intents import Intent, IntentAction
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView


@dataclass(frozen=True, slots=True)
class CommandPlan:
    """A planned command waiting for Confirm/Cancel (``order`` set for buy/sell, ``target``
    for the cancel of one order)."""

    command_id: int
    intent: Intent
    parser: str
    symbol: str | None = None  # resolved, e.g. "SOL/USDT"
    order: OrderPlan | None = None
    expires_at: datetime | None = None
    target: OrderView | None = None


Holdings: TypeAlias = tuple[tuple[AccountView, tuple[Position, ...]], ...]


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What a command did or showed; ``orders`` holds the open orders, the history or the
    cancelled orders, as ``action`` says."""

    command_id: int
    action: IntentAction
    summary: str  # plain text, as stored in ai_commands.outcome
    order: OrderView | None = None
    orders: tuple[OrderView, ...] = field(default_factory=tuple)
    balance: BalanceView | None = None
    price: PriceView | None = None
    positions: Holdings = ()


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    """Text no parser understood (recorded as such); the reply suggests a command."""

    command_id: int
    text: str


Reply: TypeAlias = CommandPlan | CommandOutcome | NotUnderstood
