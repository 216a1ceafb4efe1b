"""What the trade-plan service hands to handlers and renderers: plain frozen data, no ORM rows.

``PlanView`` is one plan as the follower sees it; ``Refusal`` is a risk-guard or settings
refusal with the figures behind it; ``FollowingView`` is one subscription with its settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.domain import LegKind, LegStatus, MarketType, OrderSide, OrderType, PlanStatus, Side
from services.signal_dto import SourceView
from services.trade_plans.settings import FollowSettings


@dataclass(frozen=True, slots=True)
class LegView:
    kind: LegKind
    idx: int
    side: OrderSide
    type: OrderType
    price: Decimal | None
    amount: Decimal
    status: LegStatus
    filled: Decimal
    average: Decimal | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class PlanView:
    id: int
    user_id: int
    signal_id: int | None
    source_name: str | None
    account_label: str
    mode: str  # auto | confirm | manual
    symbol: str
    market_type: MarketType
    side: Side
    leverage: int
    status: PlanStatus
    entry_low: Decimal | None
    entry_high: Decimal | None
    targets: tuple[Decimal, ...]
    tp_weights: tuple[Decimal, ...]
    stop_price: Decimal | None
    initial_stop: Decimal | None
    quantity: Decimal
    filled_qty: Decimal
    avg_entry: Decimal | None
    closed_qty: Decimal
    realized_pnl: Decimal
    fees: Decimal
    realized_r: Decimal | None
    targets_hit: int
    close_reason: str | None
    notes: tuple[str, ...]  # what the risk guard changed, in words
    expires_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    quote: str
    legs: tuple[LegView, ...] = ()

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def held(self) -> Decimal:
        return self.filled_qty - self.closed_qty


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a signal did not become a plan for one follower: ``code`` for tests and logs
    (``paused``, ``maintenance``, ``too_old``, ``pair_denied``, ``past_target``,
    ``past_stop``, ``too_far``, ``no_stop``, ``liquidation``, ``daily_loss``, ``exposure``,
    ``duplicate``, ``size``, ``balance``, ``min_notional``, ``account``, ``role``, ``market``,
    ``exchange``), ``message`` the plain sentence with its figures."""

    code: str
    message: str
    figures: dict[str, Decimal | int | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FollowingView:
    source: SourceView
    settings: FollowSettings
    paused: bool
    account_label: str  # what ``settings.account`` means for this user, in words
