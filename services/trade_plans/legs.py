"""Leg bookkeeping shared by the plan engine: which legs are working, cancelling them, the
market exit, and on perps the reduce-only take-profit ladder and stop for what is held.

Pure helpers over a ``Plan`` (no I/O). Invariants: a cancelled leg is marked ``CANCELLED`` here
and its ``CancelLeg`` returned; a new leg is appended ``PLANNED`` with its ``PlaceLeg``; a
replaced take-profit or stop gets the next ``gen`` of its kind; no exit or stop is made larger
than what is held; ladder amounts are on the amount step, the last target taking the remainder
and a leg under the market's minimum merged into the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from core.domain import LegKind, LegStatus, MarketType, OrderType, Side
from services.trade_plans.build import floor_step
from services.trade_plans.model import Action, CancelLeg, Leg, Notify, PlaceLeg, Plan

ZERO = Decimal(0)

# -- legs ------------------------------------------------------------------------------------


def sign(plan: Plan) -> Decimal:
    return Decimal(1) if plan.side is Side.LONG else Decimal(-1)


def perp(plan: Plan) -> bool:
    return plan.market_type is MarketType.PERP


def live(plan: Plan, *kinds: LegKind) -> list[Leg]:
    return [leg for leg in plan.legs if leg.is_live and (not kinds or leg.kind in kinds)]


def cancel(legs: Iterable[Leg]) -> list[Action]:
    actions: list[Action] = []
    for leg in legs:
        leg.status = LegStatus.CANCELLED
        actions.append(CancelLeg(leg.key))
    return actions


def add(plan: Plan, leg: Leg) -> PlaceLeg:
    plan.legs.append(leg)
    return PlaceLeg(leg.key)


def next_gen(plan: Plan, kind: LegKind) -> int:
    return max((leg.gen + 1 for leg in plan.legs if leg.kind is kind), default=0)


def free(plan: Plan) -> Decimal:
    """What is held and not already being sold by a working exit."""
    working = sum((leg.amount - leg.filled for leg in live(plan, LegKind.EXIT)), ZERO)
    return max(plan.held - working, ZERO)


def tiny(plan: Plan, amount: Decimal, price: Decimal) -> bool:
    if amount <= 0:
        return True
    if plan.min_amount is not None and amount < plan.min_amount:
        return True
    return plan.min_cost is not None and amount * price < plan.min_cost


def past(plan: Plan, price: Decimal, level: Decimal) -> bool:
    """``price`` is at or beyond ``level`` in the trade's favour (long: at or above)."""
    return price >= level if plan.side is Side.LONG else price <= level


def improves(plan: Plan, stop: Decimal) -> bool:
    if plan.stop_price is None:
        return True
    return stop != plan.stop_price and past(plan, stop, plan.stop_price)


def exit(plan: Plan, amount: Decimal, reason: str) -> list[Action]:
    idx = sum(1 for leg in plan.legs if leg.kind is LegKind.EXIT) + 1
    leg = Leg(
        LegKind.EXIT,
        idx,
        plan.exit_side,
        OrderType.MARKET,
        None,
        amount,
        reduce_only=perp(plan),
        reason=reason,
    )
    return [add(plan, leg)]


def not_applied(reason: str, **figures: object) -> Notify:
    return Notify("not_applied", {"reason": reason, **figures})


def figures(plan: Plan) -> dict[str, object]:
    return {"held": plan.held, "avg_entry": plan.avg_entry, "pnl": plan.realized_pnl}


# -- protection: the perp ladder and stop --------------------------------------------------------


def tp_ladder(plan: Plan) -> list[tuple[int, Decimal]]:
    """(target number, amount) for the targets not yet hit, over what is held."""
    remaining = list(range(plan.targets_hit + 1, len(plan.targets) + 1))
    weights = [plan.tp_weights[i - 1] for i in remaining]
    total = sum(weights, ZERO)
    if not remaining or total <= 0 or plan.held <= 0:
        return []
    out: list[tuple[int, Decimal]] = []
    pending = used = ZERO
    for pos, idx in enumerate(remaining):
        pending += plan.held * weights[pos] / total
        if pos < len(remaining) - 1:
            amount = floor_step(pending, plan.amount_step)
            if tiny(plan, amount, plan.targets[idx - 1]):
                continue  # merged into the next target's leg
        else:
            amount = plan.held - used
        pending -= amount
        used += amount
        out.append((idx, amount))
    if len(out) > 1 and tiny(plan, out[-1][1], plan.targets[out[-1][0] - 1]):
        (idx, amount), (_, dust) = out[-2], out.pop()
        out[-1] = (idx, amount + dust)
    return out


def place_stop(plan: Plan) -> list[Action]:
    if plan.stop_price is None or plan.held <= 0:
        return []
    leg = Leg(
        LegKind.STOP,
        1,
        plan.exit_side,
        OrderType.STOP,
        plan.stop_price,
        plan.held,
        reduce_only=True,
        gen=next_gen(plan, LegKind.STOP),
    )
    return [add(plan, leg)]


def protect(plan: Plan, *, ladder: bool = True, stop: bool = True) -> list[Action]:
    """Perps: cancel and re-place the take-profit ladder and/or the stop for what is held."""
    if not perp(plan):
        return []
    kinds = ([LegKind.TAKE_PROFIT] if ladder else []) + ([LegKind.STOP] if stop else [])
    actions = cancel(live(plan, *kinds))
    if ladder:
        gen = next_gen(plan, LegKind.TAKE_PROFIT)
        for idx, amount in tp_ladder(plan):
            leg = Leg(
                LegKind.TAKE_PROFIT,
                idx,
                plan.exit_side,
                OrderType.LIMIT,
                plan.targets[idx - 1],
                amount,
                reduce_only=True,
                gen=gen,
            )
            actions.append(add(plan, leg))
    if stop:
        actions += place_stop(plan)
    return actions


def move_stop(plan: Plan, new: Decimal, reason: str) -> list[Action]:
    old, plan.stop_price = plan.stop_price, new
    actions = protect(plan, ladder=False) if plan.held > 0 else []
    actions.append(Notify("stop_moved", {"old": old, "new": new, "reason": reason}))
    return actions
