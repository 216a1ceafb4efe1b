"""The risk guard: whether a signal may become a plan for one follower, and what it must change.

Pure functions of what the service read (``GuardInput``: the market price, the free balance,
open exposure, today's P/L, pause and maintenance flags) and the follower's settings; no I/O,
no clock (``now`` is passed in). ``build.build_plan`` runs them in this order, the first
refusal wins:

1. ``check``: maintenance, paused (all of the trader's auto-trading, then the source), signal
   older than ``max_age_minutes``, pair denied / not allowed, no stop (``SIGNAL_ONLY``), price
   already past TP1, price already past the stop, entry more than ``max_entry_distance_pct``
   from the market, today's realised loss at or above ``daily_loss_pct`` of the free balance;
2. ``fit_leverage`` (perps): a liquidation price at or before the stop lowers the leverage to
   the highest safe one (``LiquidationRule.LOWER``, with a note) or refuses;
3. ``fit_exposure``: open notional in the base plus this plan above ``max_exposure_pct`` of the
   free balance shrinks the plan to fit (``exposure_rule == "shrink"``, with a note) or refuses;
4. ``check_duplicate``: an open plan of the same base and side from another source.

Every refusal is a ``Refusal`` whose message names the figures; every change is a note in words
that ends up on the plan. Percentages are of the account's free quote balance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain import MarketType, Side
from services.symbols import fmt_number
from services.trade_plans.dto import Refusal
from services.trade_plans.settings import (
    DuplicateRule,
    FollowSettings,
    LiquidationRule,
    TraderRisk,
)

LiquidationFn = Callable[[Side, Decimal, Decimal, int], Decimal]
"""(side, quantity, entry price, leverage) -> liquidation price of that isolated position."""

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class GuardInput:
    """What the service read for one follower and one signal."""

    price: Decimal  # the market now
    balance_free: Decimal  # free quote of the account
    exposure_quote: Decimal  # notional already open in this base across the trader's plans
    daily_realized_pnl: Decimal  # today's realised P/L of the trader (negative = loss)
    duplicate: bool  # an open plan of the same base and side from another source in the window
    paused: bool
    source_paused: bool
    maintenance: bool
    risk: TraderRisk


@dataclass(frozen=True, slots=True)
class Proposal:
    """The signal as the plan would trade it (``build`` fills it in before sizing)."""

    base: str
    quote: str
    side: Side
    market_type: MarketType
    posted_at: datetime
    targets: tuple[Decimal, ...]  # in the order they are reached
    stop: Decimal | None  # None: the signal has none and the settings skip such signals
    entry_near: Decimal | None  # the entry price nearest the market; None for market entries


def _fmt(value: Decimal) -> str:
    """Figures in messages: 2 decimals from 1 up, 8 below (small coins' prices)."""
    return fmt_number(value, 2 if abs(value) >= 1 else 8)


def check(
    proposal: Proposal, settings: FollowSettings, guard: GuardInput, now: datetime
) -> Refusal | None:
    """The refusals that need no size (see the module docstring, step 1), first one wins."""
    for step in (_gates, _prices, _daily_loss):
        refusal = step(proposal, settings, guard, now)
        if refusal is not None:
            return refusal
    return None


def _gates(
    proposal: Proposal, settings: FollowSettings, guard: GuardInput, now: datetime
) -> Refusal | None:
    if guard.maintenance:
        return Refusal(
            "maintenance", "The bot is in maintenance: no new trades are opened until it ends."
        )
    if guard.paused or guard.risk.auto_paused:
        return Refusal("paused", "Your auto-trading is paused; /resume starts it again.")
    if guard.source_paused:
        return Refusal("paused", "You paused this source; /resume <source> starts it again.")
    age = int((now - proposal.posted_at).total_seconds() // 60)
    if age > settings.max_age_minutes:
        return Refusal(
            "too_old",
            f"The signal is {age} minutes old; your limit is {settings.max_age_minutes} minutes.",
            {"age_minutes": age, "max_age_minutes": settings.max_age_minutes},
        )
    base = proposal.base.upper()
    if base in settings.pairs_denied:
        return Refusal("pair_denied", f"{base} is in your denied pairs.", {"base": base})
    if settings.pairs_allowed and base not in settings.pairs_allowed:
        allowed = ", ".join(settings.pairs_allowed)
        return Refusal(
            "pair_denied",
            f"{base} is not in your allowed pairs ({allowed}).",
            {"base": base, "allowed": allowed},
        )
    if proposal.side is Side.SHORT and proposal.market_type is MarketType.SPOT:
        return Refusal(
            "market", "A short needs a perpetual futures account; this account trades spot."
        )
    return None


def _past(side: Side, price: Decimal, level: Decimal) -> bool:
    """The price has reached ``level`` in the trade's favour (long: at or above)."""
    return price >= level if side is Side.LONG else price <= level


def _prices(
    proposal: Proposal, settings: FollowSettings, guard: GuardInput, now: datetime
) -> Refusal | None:
    del now
    side, price, word = proposal.side, guard.price, proposal.side.value
    if proposal.stop is None:
        return Refusal(
            "no_stop",
            "The signal has no stop loss and your stop setting skips such signals "
            f"(stop: signal uses a {_fmt(settings.default_stop_pct)} % stop instead).",
            {"default_stop_pct": settings.default_stop_pct},
        )
    if proposal.targets and _past(side, price, proposal.targets[0]):
        tp1 = proposal.targets[0]
        return Refusal(
            "past_target",
            f"The price {_fmt(price)} is already past TP1 {_fmt(tp1)} of this {word}.",
            {"price": price, "tp1": tp1},
        )
    if _past(side, proposal.stop, price):  # long: price at or below the stop
        return Refusal(
            "past_stop",
            f"The price {_fmt(price)} is already past the stop {_fmt(proposal.stop)} "
            f"of this {word}.",
            {"price": price, "stop": proposal.stop},
        )
    if proposal.entry_near is not None and price > 0:
        distance = (abs(proposal.entry_near - price) / price * _HUNDRED).quantize(Decimal("0.01"))
        if distance > settings.max_entry_distance_pct:
            return Refusal(
                "too_far",
                f"The entry {_fmt(proposal.entry_near)} is {_fmt(distance)} % from the market "
                f"price {_fmt(price)}; your limit is {_fmt(settings.max_entry_distance_pct)} %.",
                {
                    "entry": proposal.entry_near,
                    "price": price,
                    "distance_pct": distance,
                    "max_pct": settings.max_entry_distance_pct,
                },
            )
    return None


def _daily_loss(
    proposal: Proposal, settings: FollowSettings, guard: GuardInput, now: datetime
) -> Refusal | None:
    del settings, now
    limit = guard.balance_free * guard.risk.daily_loss_pct / _HUNDRED
    loss = -guard.daily_realized_pnl
    if loss > 0 and loss >= limit:
        q = proposal.quote
        return Refusal(
            "daily_loss",
            f"Today's realised loss {_fmt(loss)} {q} reached your daily limit of "
            f"{_fmt(limit)} {q} ({_fmt(guard.risk.daily_loss_pct)} % of "
            f"{_fmt(guard.balance_free)} {q}): no new trades today.",
            {"loss": loss, "limit": limit, "daily_loss_pct": guard.risk.daily_loss_pct},
        )
    return None


def liquidation_safe(side: Side, liquidation_price: Decimal, stop: Decimal) -> bool:
    """The stop comes strictly before the liquidation price (long: liquidation below it)."""
    return liquidation_price < stop if side is Side.LONG else liquidation_price > stop


def fit_leverage(
    side: Side,
    entry: Decimal,
    stop: Decimal,
    leverage: int,
    quantity_at: Callable[[int], Decimal],
    rule: LiquidationRule,
    liquidation: LiquidationFn,
) -> tuple[int, str | None] | Refusal:
    """The leverage to use and a note if it was lowered; ``quantity_at(lev)`` is the planned
    quantity at that leverage (it changes with it when the margin is fixed)."""
    first = liquidation(side, quantity_at(leverage), entry, leverage)
    if liquidation_safe(side, first, stop):
        return leverage, None
    figures: dict[str, Decimal | int | str] = {
        "leverage": leverage,
        "liquidation": first,
        "stop": stop,
    }
    said = f"At {leverage}x the liquidation price {_fmt(first)} comes before the stop {_fmt(stop)}"
    if rule is LiquidationRule.REFUSE:
        return Refusal("liquidation", f"{said}; your setting refuses such signals.", figures)
    for lower in range(leverage - 1, 0, -1):
        if liquidation_safe(side, liquidation(side, quantity_at(lower), entry, lower), stop):
            return (
                lower,
                f"Leverage lowered from {leverage}x to {lower}x: {said[0].lower()}{said[1:]}.",
            )
    return Refusal(
        "liquidation", f"{said}, and no leverage down to 1x keeps it past the stop.", figures
    )


def fit_exposure(
    proposal: Proposal, notional: Decimal, guard: GuardInput
) -> tuple[Decimal, str | None] | Refusal:
    """The notional allowed by the exposure cap and a note if it was shrunk."""
    pct = guard.risk.max_exposure_pct
    cap = guard.balance_free * pct / _HUNDRED
    room = cap - guard.exposure_quote
    if notional <= room:
        return notional, None
    q, base = proposal.quote, proposal.base
    figures: dict[str, Decimal | int | str] = {
        "exposure": guard.exposure_quote,
        "notional": notional,
        "cap": cap,
        "max_exposure_pct": pct,
    }
    opened = (
        f"your open {base} exposure {_fmt(guard.exposure_quote)} {q} plus this trade's "
        f"{_fmt(notional)} {q} would pass your cap of {_fmt(cap)} {q} "
        f"({_fmt(pct)} % of {_fmt(guard.balance_free)} {q})"
    )
    if guard.risk.exposure_rule != "shrink" or room <= 0:
        return Refusal("exposure", f"{opened[0].upper()}{opened[1:]}.", figures)
    return room, f"Size shrunk from {_fmt(notional)} to {_fmt(room)} {q}: {opened}."


def check_duplicate(
    proposal: Proposal, settings: FollowSettings, guard: GuardInput
) -> Refusal | None:
    if not guard.duplicate:
        return None
    window = guard.risk.duplicate_window_minutes
    seen = (
        f"You already have an open {proposal.base} {proposal.side.value} from another source "
        f"opened within {window} minutes"
    )
    figures: dict[str, Decimal | int | str] = {"base": proposal.base, "window_minutes": window}
    if settings.duplicates is DuplicateRule.MERGE:
        return Refusal(
            "duplicate",
            f"{seen}: this signal counts towards that open plan (no second position).",
            figures,
        )
    return Refusal("duplicate", f"{seen}; your duplicates setting skips this one.", figures)
