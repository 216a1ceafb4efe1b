"""The pure shape of a trade plan: its state, the events that change it, the actions it asks for.

A plan is an order list in NautilusTrader's sense: entry legs, a take-profit ladder and a stop,
tied by contingencies (an entry fill places the take-profits and the stop for what is held; a
take-profit fill resizes the stop; the stop's fill cancels the take-profits). ``engine.on_event``
is a pure function of (plan, event) that mutates the plan and returns the ``Action`` list the
service runs; nothing here does I/O, so every rule is a table test.

Invariants the engine keeps:
- a leg is never changed once final (filled, cancelled, rejected); a moved stop or a resized
  take-profit is a *new* leg with the next ``gen``, the old one cancelled;
- ``filled_qty - closed_qty`` is the position held, never below zero; no exit leg is ever
  larger than what is held when it is made;
- on spot nothing but the entries rests on the exchange: take-profits and the stop are watched
  by the bot (``PriceTick``) and executed as market ``EXIT`` legs, so the TP and SL never both
  hold the same coins; on perps take-profits are reduce-only limit legs and the stop a
  reduce-only stop leg;
- P/L is in the quote asset, fees included; R is P/L over the risk taken
  (``|avg_entry - initial_stop| * filled_qty``), None without a stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.domain import (
    LegKind,
    LegStatus,
    MarketType,
    OrderSide,
    OrderType,
    PlanStatus,
    Side,
    UpdateType,
)


@dataclass(slots=True)
class Leg:
    """One order of the plan (``PlanLeg`` row). ``key`` identifies it across events."""

    kind: LegKind
    idx: int
    side: OrderSide
    type: OrderType
    price: Decimal | None  # limit price, the stop's trigger; None for market
    amount: Decimal  # base units, on the market's amount step
    reduce_only: bool = False
    gen: int = 0
    status: LegStatus = LegStatus.PLANNED
    filled: Decimal = Decimal(0)
    average: Decimal | None = None
    fee: Decimal = Decimal(0)  # quote units
    reason: str | None = None  # exit legs: "tp1", "stop", "close", "partial", "panic", ...
    id: int | None = None  # database id once stored

    @property
    def key(self) -> tuple[LegKind, int, int]:
        return (self.kind, self.idx, self.gen)

    @property
    def is_live(self) -> bool:
        """Planned or resting: may still fill."""
        return not self.status.is_final


@dataclass(slots=True)
class Plan:
    """A plan's state (``TradePlan`` row plus its legs)."""

    symbol: str
    side: Side
    market_type: MarketType
    leverage: int
    status: PlanStatus
    targets: list[Decimal]  # in the order they are reached
    tp_weights: list[Decimal]  # one per target, sum 1
    stop_price: Decimal | None
    initial_stop: Decimal | None
    quantity: Decimal  # planned position, base units
    entry_low: Decimal | None = None
    entry_high: Decimal | None = None
    filled_qty: Decimal = Decimal(0)
    avg_entry: Decimal | None = None
    closed_qty: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    realized_r: Decimal | None = None
    targets_hit: int = 0
    trail_peak: Decimal | None = None
    breakeven_after: int | None = 1
    trailing_from: int | None = None
    trailing_pct: Decimal = Decimal(2)
    expires_at: datetime | None = None
    amount_step: Decimal | None = None
    price_step: Decimal | None = None
    min_amount: Decimal | None = None
    close_reason: str | None = None
    legs: list[Leg] = field(default_factory=list)
    min_cost: Decimal | None = None  # the market's minimum order cost (quote)
    last_price: Decimal | None = None  # the last market price seen (build, ``PriceTick``)
    notes: list[str] = field(default_factory=list)  # what the risk guard changed, in words

    @property
    def held(self) -> Decimal:
        """The position now held (base units)."""
        return self.filled_qty - self.closed_qty

    @property
    def exit_side(self) -> OrderSide:
        return OrderSide.SELL if self.side is Side.LONG else OrderSide.BUY

    def leg(self, key: tuple[LegKind, int, int]) -> Leg | None:
        return next((leg for leg in self.legs if leg.key == key), None)


# -- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegFilled:
    """The exchange filled (part of) a leg: ``filled`` and ``average`` are the leg's totals so
    far, ``fee`` its total fee in quote (the engine applies the difference)."""

    key: tuple[LegKind, int, int]
    filled: Decimal
    average: Decimal
    fee: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class LegEnded:
    """A leg ended without (more) fill: cancelled, or rejected with the exchange's reason."""

    key: tuple[LegKind, int, int]
    status: LegStatus  # CANCELLED or REJECTED
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PriceTick:
    """The market price at ``at``: spot take-profits and stops, trailing, expiry."""

    price: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class ChannelUpdate:
    """What the channel said about the signal: ``MOVE_SL`` (``price``, or ``to_entry``),
    ``CLOSE``, ``PARTIAL_CLOSE`` (``fraction`` of what is held, default one half),
    ``CANCEL`` (unfilled entries cancelled; a plan with nothing held ends), ``TP_HIT`` with
    ``targets`` = new targets (a "new targets" post)."""

    kind: UpdateType
    price: Decimal | None = None
    to_entry: bool = False
    fraction: Decimal | None = None
    targets: tuple[Decimal, ...] = ()


@dataclass(frozen=True, slots=True)
class CloseNow:
    """Close everything at market and cancel every working leg (``/panic``, a Close button)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Liquidated:
    """The exchange closed the perp position by liquidation at ``price``."""

    price: Decimal


Event = LegFilled | LegEnded | PriceTick | ChannelUpdate | CloseNow | Liquidated


# -- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceLeg:
    """Send this leg (already appended to ``plan.legs`` as ``PLANNED``)."""

    key: tuple[LegKind, int, int]


@dataclass(frozen=True, slots=True)
class CancelLeg:
    """Cancel this leg's order at the exchange (the engine has marked it ``CANCELLED``; a fill
    that raced the cancel still arrives as ``LegFilled`` and is applied)."""

    key: tuple[LegKind, int, int]


@dataclass(frozen=True, slots=True)
class Notify:
    """Tell the follower: ``kind`` is one of ``entry_filled``, ``tp_hit``, ``stop_moved``,
    ``closed``, ``expired``, ``cancelled``, ``liquidated``, ``rejected``, ``targets_changed``,
    ``not_applied``; ``details`` holds the figures (Decimals, ints, text) the message shows."""

    kind: str
    details: dict[str, object] = field(default_factory=dict)


Action = PlaceLeg | CancelLeg | Notify
