"""A signal plus one follower's settings, market rules and account figures become a ``Plan``
(its entry legs ``PLANNED``) or a ``Refusal``: pure, no I/O, no clock (``now`` is passed in).

Rules, decided here once:
- entries: a market-entry signal, a signal with no entry price, or ``EntryStrategy.MARKET`` get
  one market leg. ``EDGE`` is one limit at the zone edge nearest the market, never worse than
  the market: a long rests at the zone high when the price is above the zone, and at the price
  itself (a limit that fills at once) when the price is already in or below the zone; a short
  mirrors it (zone low, or the price). ``SPLIT`` spreads ``entry_legs`` limits evenly from the
  zone edge nearest the market to the far edge (each also capped at the market as above), equal
  amounts on the amount step, the rounding dust on the last; legs that land on the same price
  are merged, and when a leg would be under the market's minimum only the legs nearest the
  market are kept (note).
  A single entry price is a zone of one price.
- leverage: the signal's own, capped by ``max_leverage``, 1 when the signal names none; 1 on spot.
- sizes, from the reference entry (the mean of the entry legs' prices, their amounts being equal;
  the market price for a market entry): ``QUOTE`` = margin per trade (notional = size x leverage
  on perps, = size on spot); ``BALANCE_PCT`` = that % of the free balance as margin; ``RISK_PCT`` =
  the quantity whose loss at the stop is that % of the free balance (fees ignored). Quantities are
  rounded down to the amount step; prices to the price step in the trader's favour (entries: long
  down, short up; stops and take-profits: towards the entry). Without a step, 8 decimals.
- stop: ``SIGNAL_ONLY`` skips signals without one, ``SIGNAL`` uses ``default_stop_pct`` from the
  reference entry when missing, ``DEFAULT`` always uses it.
- the take-profit weights: ``tp_weights``.
Then the risk guard (``risk``), the margin against the free balance (``balance``) and the
market minimums (``min_notional``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.domain import LegKind, MarketType, OrderSide, OrderType, PlanStatus, Side
from services.symbols import fmt_number
from services.trade_plans.dto import Refusal
from services.trade_plans.model import Leg, Plan
from services.trade_plans.risk import (
    GuardInput,
    LiquidationFn,
    Proposal,
    check,
    check_duplicate,
    fit_exposure,
    fit_leverage,
)
from services.trade_plans.settings import (
    EntryStrategy,
    FollowSettings,
    Sizing,
    StopPolicy,
    TpSplit,
)

__all__ = [
    "LiquidationFn",
    "MarketRules",
    "SignalInput",
    "build_plan",
    "floor_step",
    "round_price",
    "split_amount",
    "tp_weights",
]

DEFAULT_STEP = Decimal("0.00000001")
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class SignalInput:
    symbol: str  # "BTC/USDT" spot or "BTC/USDT:USDT" perp, as the account trades it
    side: Side
    market_type: MarketType
    entry_low: Decimal | None
    entry_high: Decimal | None
    entry_is_market: bool
    targets: tuple[Decimal, ...]
    stop: Decimal | None
    leverage: int | None  # the signal's own leverage, if any
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class MarketRules:
    amount_step: Decimal | None
    price_step: Decimal | None
    min_amount: Decimal | None
    min_cost: Decimal | None


# -- steps and splits -----------------------------------------------------------------------------


def floor_step(value: Decimal, step: Decimal | None) -> Decimal:
    """``value`` rounded down to a whole number of ``step`` (8 decimals without a step)."""
    unit = step or DEFAULT_STEP
    return (value / unit).to_integral_value(rounding=ROUND_FLOOR) * unit


def round_price(value: Decimal, step: Decimal | None, *, up: bool) -> Decimal:
    """``value`` on the price step, rounded up or down (8 decimals without a step)."""
    unit = step or DEFAULT_STEP
    rounding = ROUND_CEILING if up else ROUND_FLOOR
    return (value / unit).to_integral_value(rounding=rounding) * unit


def split_amount(total: Decimal, parts: int, step: Decimal | None) -> list[Decimal]:
    """``total`` in ``parts`` equal amounts on the step; the rounding dust goes to the last."""
    each = floor_step(total / parts, step)
    return [each] * (parts - 1) + [total - each * (parts - 1)]


def tp_weights(split: TpSplit, custom: tuple[Decimal, ...], count: int) -> list[Decimal]:
    """One weight per target, summing to exactly 1 (the last takes the rounding)."""
    if count == 0:
        return []
    if split is TpSplit.FIRST_HEAVY:
        raw = [Decimal(count - i) for i in range(count)]
    elif split is TpSplit.CUSTOM and custom:
        raw = list(custom[:count]) + [custom[-1]] * max(0, count - len(custom))
    else:
        raw = [Decimal(1)] * count
    total = sum(raw, Decimal(0))
    weights = [(w / total).quantize(Decimal("0.0001")) for w in raw[:-1]]
    return [*weights, Decimal(1) - sum(weights, Decimal(0))]


def _entry_prices(
    signal: SignalInput, settings: FollowSettings, price: Decimal, step: Decimal | None
) -> list[Decimal] | None:
    """The entry legs' limit prices, nearest the market first; None: one market leg."""
    low, high = signal.entry_low, signal.entry_high
    if signal.entry_is_market or settings.entry is EntryStrategy.MARKET:
        return None
    if low is None and high is None:
        return None
    low, high = low if low is not None else high, high if high is not None else low
    assert low is not None and high is not None  # both set above
    low, high = min(low, high), max(low, high)
    long = signal.side is Side.LONG
    near, far = (high, low) if long else (low, high)
    legs = settings.entry_legs if settings.entry is EntryStrategy.SPLIT and low != high else 1
    raw = [near + (far - near) * i / (legs - 1) for i in range(legs)] if legs > 1 else [near]
    capped = [min(p, price) if long else max(p, price) for p in raw]
    rounded = [round_price(p, step, up=not long) for p in capped]
    return list(dict.fromkeys(rounded))


def _stop(
    signal: SignalInput, settings: FollowSettings, entry: Decimal, step: Decimal | None
) -> Decimal | None:
    if signal.stop is not None and settings.stop is not StopPolicy.DEFAULT:
        return signal.stop
    if settings.stop is StopPolicy.SIGNAL_ONLY:
        return None
    long = signal.side is Side.LONG
    offset = entry * settings.default_stop_pct / _HUNDRED
    return round_price(entry - offset if long else entry + offset, step, up=long)


def _raw_quantity(
    settings: FollowSettings, leverage: int, entry: Decimal, stop: Decimal, balance: Decimal
) -> Decimal:
    if settings.sizing is Sizing.RISK_PCT:
        return balance * settings.size / _HUNDRED / abs(entry - stop)
    margin = settings.size
    if settings.sizing is Sizing.BALANCE_PCT:
        margin = balance * settings.size / _HUNDRED
    return margin * leverage / entry


# -- the plan ----------------------------------------------------------------------------------


def build_plan(
    signal: SignalInput,
    settings: FollowSettings,
    market: MarketRules,
    guard: GuardInput,
    liquidation: LiquidationFn | None,
    now: datetime,
) -> Plan | Refusal:
    """The plan for one follower, or why not (see the module docstring)."""
    long = signal.side is Side.LONG
    base, _, rest = signal.symbol.partition("/")
    quote = rest.split(":")[0] or "USDT"
    prices = _entry_prices(signal, settings, guard.price, market.price_step)
    reference = sum(prices, Decimal(0)) / len(prices) if prices else guard.price
    stop = _stop(signal, settings, reference, market.price_step)
    targets = tuple(sorted(set(signal.targets), reverse=not long))
    proposal = Proposal(
        base=base.upper(),
        quote=quote,
        side=signal.side,
        market_type=signal.market_type,
        posted_at=signal.posted_at,
        targets=targets,
        stop=stop,
        entry_near=prices[0] if prices else None,
    )
    refusal = check(proposal, settings, guard, now)
    if refusal is not None:
        return refusal
    assert stop is not None  # check refuses a missing stop
    if reference == stop:
        return Refusal("past_stop", f"The entry {fmt_number(stop)} is the stop itself.")
    notes: list[str] = []
    sized = _size(signal, settings, guard, liquidation, proposal, reference, stop, notes)
    if isinstance(sized, Refusal):
        return sized
    leverage, quantity = sized
    refusal = check_duplicate(proposal, settings, guard)
    if refusal is not None:
        return refusal
    quantity = floor_step(quantity, market.amount_step)
    refusal = _affordable(quantity, reference, leverage, guard.balance_free, quote, market, base)
    if refusal is not None:
        return refusal
    legs = _entry_legs(signal, prices, quantity, market, notes)
    return Plan(
        symbol=signal.symbol,
        side=signal.side,
        market_type=signal.market_type,
        leverage=leverage,
        status=PlanStatus.PENDING,
        targets=list(targets),
        tp_weights=tp_weights(settings.tp_split, settings.tp_weights, len(targets)),
        stop_price=stop,
        initial_stop=stop,
        quantity=quantity,
        entry_low=signal.entry_low,
        entry_high=signal.entry_high,
        breakeven_after=settings.breakeven_after,
        trailing_from=settings.trailing_from,
        trailing_pct=settings.trailing_pct,
        expires_at=now + timedelta(hours=settings.expiry_hours),
        amount_step=market.amount_step,
        price_step=market.price_step,
        min_amount=market.min_amount,
        min_cost=market.min_cost,
        last_price=guard.price,
        notes=notes,
        legs=legs,
    )


def _size(
    signal: SignalInput,
    settings: FollowSettings,
    guard: GuardInput,
    liquidation: LiquidationFn | None,
    proposal: Proposal,
    reference: Decimal,
    stop: Decimal,
    notes: list[str],
) -> tuple[int, Decimal] | Refusal:
    """The leverage and the (unrounded) quantity after the liquidation and exposure rules."""
    perp = signal.market_type is MarketType.PERP
    leverage = max(1, min(signal.leverage or 1, settings.max_leverage)) if perp else 1

    def quantity_at(lev: int) -> Decimal:
        return _raw_quantity(settings, lev, reference, stop, guard.balance_free)

    if perp and liquidation is not None:
        fitted = fit_leverage(
            signal.side, reference, stop, leverage, quantity_at, settings.liquidation, liquidation
        )
        if isinstance(fitted, Refusal):
            return fitted
        leverage, note = fitted
        if note:
            notes.append(note)
    quantity = quantity_at(leverage)
    exposure = fit_exposure(proposal, quantity * reference, guard)
    if isinstance(exposure, Refusal):
        return exposure
    notional, note = exposure
    if note:
        notes.append(note)
        quantity = notional / reference
    return leverage, quantity


def _affordable(
    quantity: Decimal,
    reference: Decimal,
    leverage: int,
    balance: Decimal,
    quote: str,
    market: MarketRules,
    base: str,
) -> Refusal | None:
    margin = quantity * reference / leverage
    if margin > balance:
        return Refusal(
            "balance",
            f"This trade needs {fmt_number(margin)} {quote} of margin but the account has "
            f"{fmt_number(balance)} {quote} free.",
            {"margin": margin, "balance": balance, "leverage": leverage},
        )
    if _too_small(quantity, reference, market):
        cost = quantity * reference
        minimum = " / ".join(
            f"{fmt_number(m)} {unit}"
            for m, unit in ((market.min_amount, base), (market.min_cost, quote))
            if m is not None
        )
        return Refusal(
            "min_notional",
            f"The order size {fmt_number(quantity)} {base} ({fmt_number(cost)} {quote}) is "
            f"below the market's minimum of {minimum or 'one amount step'}.",
            {
                "quantity": quantity,
                "cost": cost,
                "min_amount": market.min_amount or Decimal(0),
                "min_cost": market.min_cost or Decimal(0),
            },
        )
    return None


def _too_small(quantity: Decimal, price: Decimal, market: MarketRules) -> bool:
    if quantity <= 0:
        return True
    if market.min_amount is not None and quantity < market.min_amount:
        return True
    return market.min_cost is not None and quantity * price < market.min_cost


def _entry_legs(
    signal: SignalInput,
    prices: list[Decimal] | None,
    quantity: Decimal,
    market: MarketRules,
    notes: list[str],
) -> list[Leg]:
    """Entry legs, ``PLANNED``, idx from 1; fewer legs when one would be under the minimum."""
    side = OrderSide.BUY if signal.side is Side.LONG else OrderSide.SELL
    if prices is None:
        return [Leg(LegKind.ENTRY, 1, side, OrderType.MARKET, None, quantity)]
    count = len(prices)
    while count > 1:
        amounts = split_amount(quantity, count, market.amount_step)
        if not any(_too_small(a, p, market) for a, p in zip(amounts, prices, strict=False)):
            break
        count -= 1
    if count < len(prices):
        notes.append(
            f"Entries cut from {len(prices)} to {count}: smaller ones would be under the "
            "market's minimum order."
        )
    amounts = split_amount(quantity, count, market.amount_step)
    return [
        Leg(LegKind.ENTRY, i + 1, side, OrderType.LIMIT, price, amount)
        for i, (price, amount) in enumerate(zip(prices[:count], amounts, strict=True))
    ]
