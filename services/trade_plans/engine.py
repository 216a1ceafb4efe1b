"""The plan engine: ``on_event(plan, event, now)`` mutates a ``Plan`` and returns the actions the
service runs (place a leg, cancel a leg, tell the follower). Pure: no I/O, no clock.

The contract is ``model``'s docstring; the rules decided here:
- an entry fill grows what is held and the average entry; on perps it (re)places the
  take-profit ladder (reduce-only limits for the targets not yet hit, weights renormalised over
  them, amounts on the step, the last taking the remainder, a leg under the market's minimum
  merged into the next) and the stop (reduce-only, for all that is held), cancelling the older
  ones; on spot nothing rests but the entries;
- spot (and a perp whose stop leg is gone): a ``PriceTick`` at or past target k places one market
  ``EXIT`` (reason ``tp<k>``) for the share of targets up to k, at or past the stop one ``EXIT`` of
  all that is held (reason ``stop``); never a second exit while one is working;
- the first target hit cancels the entries still waiting (the trade is under way); breakeven
  after TP n moves the stop to the average entry plus twice the entry fee per unit (entry and
  exit), on the price step; trailing from TP n (0: from the first fill) moves the stop to the
  best price since x (1 - trailing_pct %) for longs (mirror for shorts) whenever that improves it;
- nothing held after a take-profit, the stop or an exit: ``CLOSED`` with its reason, every
  working leg cancelled, ``realized_r`` set. Expiry (the tick's ``at``, else ``now``) cancels the
  waiting entries: nothing held gives ``EXPIRED``. A rejected entry with nothing held and no
  other entry waiting gives ``FAILED``. A take-profit or stop leg that is cancelled or rejected
  outside the engine is reported, and the stop is then watched by the bot as on spot;
- channel updates: ``MOVE_SL`` (a price, or the average entry; a stop on the wrong side of the
  last market price is not applied and says why), ``CLOSE`` and ``SL_HIT`` (everything at
  market), ``PARTIAL_CLOSE`` (a fraction of what is held, default a half), ``CANCEL`` (waiting
  entries cancelled; a plan holding something stays managed), ``TP_HIT`` with targets (new
  targets replace those not yet hit, sharing their weight evenly). A ``TP_HIT`` without targets
  changes nothing: the plan's own take-profits follow the market price;
- fills are totals per leg, so a repeated ``LegFilled`` changes nothing; a fill that races a
  cancel is applied (an entry filled after the plan ended reopens it; after a close it is sold
  again at once, reason ``late_fill``). Exits never count more than what is held.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.domain import LegKind, LegStatus, PlanStatus, Side, UpdateType
from services.trade_plans import legs
from services.trade_plans.build import floor_step, round_price
from services.trade_plans.model import (
    Action,
    ChannelUpdate,
    CloseNow,
    Event,
    Leg,
    LegEnded,
    LegFilled,
    Liquidated,
    Notify,
    PlaceLeg,
    Plan,
    PriceTick,
)

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_HALF = Decimal("0.5")


def start(plan: Plan) -> list[Action]:
    """Send the entry legs of a freshly built plan (``PENDING`` -> ``OPEN``)."""
    plan.status = PlanStatus.OPEN
    return [
        PlaceLeg(leg.key)
        for leg in plan.legs
        if leg.kind is LegKind.ENTRY and leg.status is LegStatus.PLANNED
    ]


def on_event(plan: Plan, event: Event, now: datetime) -> list[Action]:
    """Apply ``event`` to ``plan`` and return what to do (see the module docstring)."""
    if isinstance(event, LegFilled):
        actions = _on_fill(plan, event)
    elif isinstance(event, LegEnded):
        actions = _on_ended(plan, event)
    elif isinstance(event, PriceTick):
        now = event.at
        actions = _on_tick(plan, event.price)
    elif isinstance(event, ChannelUpdate):
        actions = _on_update(plan, event)
    elif isinstance(event, CloseNow):
        actions = _close_all(plan, event.reason) if not plan.status.is_final else []
    else:
        actions = _on_liquidated(plan, event)
    if not plan.status.is_final:
        actions += _expire(plan, now)
    return actions


def realized_r(plan: Plan) -> Decimal | None:
    """Realised P/L over the risk taken (``|avg_entry - initial_stop| * filled``), 2 decimals."""
    if plan.initial_stop is None or plan.avg_entry is None or plan.filled_qty <= 0:
        return None
    risk = abs(plan.avg_entry - plan.initial_stop) * plan.filled_qty
    if risk == 0:
        return None
    return (plan.realized_pnl / risk).quantize(Decimal("0.01"))


# -- fills ----------------------------------------------------------------------------------------


def _on_fill(plan: Plan, event: LegFilled) -> list[Action]:
    leg = plan.leg(event.key)
    if leg is None:
        return []
    delta = event.filled - leg.filled
    fee_delta = max(event.fee - leg.fee, _ZERO)
    if delta <= 0 and fee_delta == 0:
        return []  # a repeated or stale order update
    price = event.average
    if delta > 0 and leg.filled > 0 and leg.average is not None:
        price = (event.filled * event.average - leg.filled * leg.average) / delta
    if delta > 0:
        leg.filled, leg.average = event.filled, event.average
    leg.fee = max(event.fee, leg.fee)
    if leg.is_live and leg.filled >= leg.amount:
        leg.status = LegStatus.FILLED
    plan.fees += fee_delta
    plan.realized_pnl -= fee_delta
    if delta <= 0:
        return []
    if leg.kind is LegKind.ENTRY:
        return _entry_filled(plan, delta, price)
    if plan.status.is_final or plan.held <= 0:
        return []  # a reduce that raced the close: nothing is left to reduce
    return _reduced(plan, leg, min(delta, plan.held), price)


def _entry_filled(plan: Plan, delta: Decimal, price: Decimal) -> list[Action]:
    before = plan.filled_qty
    plan.avg_entry = (
        price
        if plan.avg_entry is None
        else ((plan.avg_entry * before + price * delta) / (before + delta))
    )
    plan.filled_qty += delta
    ended, plan.status = plan.status, PlanStatus.ACTIVE
    if plan.trailing_from == 0 and plan.trail_peak is None:
        plan.trail_peak = price
    actions: list[Action] = [
        Notify("entry_filled", {"price": price, "amount": delta, **legs.figures(plan)})
    ]
    if ended in {PlanStatus.CLOSED, PlanStatus.LIQUIDATED}:
        return actions + legs.exit(plan, legs.free(plan), "late_fill")
    plan.close_reason = None
    return actions + legs.protect(plan)


def _target_of(leg: Leg) -> int:
    if leg.kind is LegKind.TAKE_PROFIT:
        return leg.idx
    if leg.kind is LegKind.EXIT and leg.reason and leg.reason.startswith("tp"):
        return int(leg.reason[2:])
    return 0


def _reason(leg: Leg) -> str:
    if leg.kind is LegKind.STOP:
        return "stop"
    if leg.kind is LegKind.TAKE_PROFIT:
        return f"tp{leg.idx}"
    return leg.reason or "close"


def _reduced(plan: Plan, leg: Leg, delta: Decimal, price: Decimal) -> list[Action]:
    """A take-profit, stop or exit sold ``delta`` at ``price``."""
    assert plan.avg_entry is not None  # something was held, so an entry filled
    plan.closed_qty += delta
    plan.realized_pnl += legs.sign(plan) * (price - plan.avg_entry) * delta
    actions: list[Action] = []
    target = _target_of(leg)
    reached = target > plan.targets_hit and leg.status is LegStatus.FILLED
    if reached:
        plan.targets_hit = target
        actions.append(Notify("tp_hit", {"target": target, "price": price, **legs.figures(plan)}))
        actions += legs.cancel(legs.live(plan, LegKind.ENTRY))
    if plan.held <= 0:
        return actions + _close(plan, _reason(leg))
    if reached:
        return actions + _after_target(plan)
    if leg.kind is LegKind.EXIT and leg.status is LegStatus.FILLED:
        return actions + legs.protect(plan)  # a partial close: resize the ladder and the stop
    return actions


def _breakeven(plan: Plan) -> Decimal:
    assert plan.avg_entry is not None
    entry_fees = sum((leg.fee for leg in plan.legs if leg.kind is LegKind.ENTRY), _ZERO)
    price = plan.avg_entry + legs.sign(plan) * 2 * entry_fees / plan.filled_qty
    return round_price(price, plan.price_step, up=plan.side is Side.LONG)


def _after_target(plan: Plan) -> list[Action]:
    if plan.trailing_from is not None and plan.targets_hit >= plan.trailing_from:
        plan.trail_peak = plan.trail_peak or plan.last_price or plan.targets[plan.targets_hit - 1]
    due = plan.breakeven_after is not None and plan.targets_hit >= plan.breakeven_after
    if due and legs.improves(plan, level := _breakeven(plan)):
        return legs.move_stop(plan, level, "breakeven")
    return legs.protect(plan, ladder=False)  # the stop, resized for what is left


def _close(plan: Plan, reason: str) -> list[Action]:
    plan.status = PlanStatus.CLOSED
    plan.close_reason = reason
    actions = legs.cancel(legs.live(plan))
    plan.realized_r = realized_r(plan)
    details = {"reason": reason, "fees": plan.fees, "r": plan.realized_r, **legs.figures(plan)}
    return [*actions, Notify("closed", details)]


def _end(
    plan: Plan, status: PlanStatus, kind: str, reason: str, **details: object
) -> list[Action]:
    """End a plan that holds nothing: cancel what still works, tell the follower."""
    plan.status = status
    plan.close_reason = reason
    actions = legs.cancel(legs.live(plan))
    return [*actions, Notify(kind, {"reason": reason, **details})]


# -- other events -------------------------------------------------------------------------------


def _on_ended(plan: Plan, event: LegEnded) -> list[Action]:
    leg = plan.leg(event.key)
    if leg is None or leg.status.is_final:
        return []
    leg.status = event.status
    if plan.status.is_final:
        return []
    waiting = plan.held <= 0 and not legs.live(plan, LegKind.ENTRY)
    if event.status is LegStatus.REJECTED:
        reason = event.reason or "the exchange gave no reason"
        name = f"{leg.kind.value}{leg.idx}"
        if leg.kind is LegKind.ENTRY and waiting:
            return _end(plan, PlanStatus.FAILED, "rejected", reason, leg=name)
        return [Notify("rejected", {"reason": reason, "leg": name})]
    if leg.kind is LegKind.ENTRY and waiting:
        return _end(plan, PlanStatus.CANCELLED, "cancelled", event.reason or "entry cancelled")
    if leg.kind in {LegKind.STOP, LegKind.TAKE_PROFIT}:
        return [legs.not_applied(f"the {leg.kind.value} order was cancelled outside the bot")]
    return []


def _on_tick(plan: Plan, price: Decimal) -> list[Action]:
    if plan.status.is_final:
        return []
    plan.last_price = price
    stop = plan.stop_price
    if plan.held <= 0:
        if stop is not None and legs.past(plan, stop, price) and legs.live(plan, LegKind.ENTRY):
            return _end(plan, PlanStatus.CANCELLED, "cancelled", "stop_before_entry", price=price)
        return []
    actions = _trail(plan, price)
    if legs.live(plan, LegKind.EXIT):
        return actions  # one exit at a time
    watched = not legs.perp(plan) or not legs.live(plan, LegKind.STOP)
    if watched and plan.stop_price is not None and legs.past(plan, plan.stop_price, price):
        return actions + legs.exit(plan, plan.held, "stop")
    if legs.perp(plan):
        return actions
    first = plan.targets_hit + 1
    reached = [
        k
        for k in range(first, len(plan.targets) + 1)
        if legs.past(plan, price, plan.targets[k - 1])
    ]
    if reached:
        actions += _spot_take_profit(plan, reached[-1], price)
    return actions


def _spot_take_profit(plan: Plan, target: int, price: Decimal) -> list[Action]:
    weights = plan.tp_weights[plan.targets_hit :]
    share = sum(weights[: target - plan.targets_hit], _ZERO) / sum(weights, _ZERO)
    amount = floor_step(plan.held * share, plan.amount_step)
    if target == len(plan.targets) or legs.tiny(plan, plan.held - amount, price):
        amount = plan.held
    elif legs.tiny(plan, amount, price):
        return []  # too small alone: it joins the next target's exit
    return legs.exit(plan, amount, f"tp{target}")


def _trail(plan: Plan, price: Decimal) -> list[Action]:
    if plan.trailing_from is None or plan.targets_hit < plan.trailing_from:
        return []
    if plan.trail_peak is None or legs.past(plan, price, plan.trail_peak):
        plan.trail_peak = price
    long = plan.side is Side.LONG
    offset = plan.trail_peak * plan.trailing_pct / _HUNDRED
    level = round_price(plan.trail_peak - offset * legs.sign(plan), plan.price_step, up=not long)
    if legs.improves(plan, level) and not legs.past(plan, level, price):
        return legs.move_stop(plan, level, "trailing")
    return []


def _expire(plan: Plan, at: datetime) -> list[Action]:
    if plan.expires_at is None or at < plan.expires_at:
        return []
    waiting = legs.live(plan, LegKind.ENTRY)
    if not waiting:
        return []
    if plan.held <= 0:
        return _end(plan, PlanStatus.EXPIRED, "expired", "expired")
    actions = legs.cancel(waiting)
    note = "The entries not filled were cancelled; the position held stays managed."
    return [*actions, Notify("expired", {"reason": "expired", "note": note, **legs.figures(plan)})]


def _close_all(plan: Plan, reason: str) -> list[Action]:
    """Cancel every working leg but exits and sell what is held at market."""
    if plan.held <= 0:
        return _end(plan, PlanStatus.CANCELLED, "cancelled", reason)
    actions = legs.cancel(leg for leg in legs.live(plan) if leg.kind is not LegKind.EXIT)
    free = legs.free(plan)
    return actions + (legs.exit(plan, free, reason) if free > 0 else [])


def _on_liquidated(plan: Plan, event: Liquidated) -> list[Action]:
    if plan.status.is_final:
        return []
    held = plan.held
    if plan.avg_entry is not None:
        plan.realized_pnl += legs.sign(plan) * (event.price - plan.avg_entry) * held
    plan.closed_qty = plan.filled_qty
    plan.status = PlanStatus.LIQUIDATED
    plan.close_reason = "liquidated"
    actions = legs.cancel(legs.live(plan))
    plan.realized_r = realized_r(plan)
    details = {"price": event.price, "amount": held, "r": plan.realized_r, **legs.figures(plan)}
    return [*actions, Notify("liquidated", details)]


# -- channel updates ----------------------------------------------------------------------------


def _on_update(plan: Plan, update: ChannelUpdate) -> list[Action]:
    if plan.status.is_final:
        return []
    if update.kind is UpdateType.MOVE_SL:
        return _channel_stop(plan, update)
    if update.kind in {UpdateType.CLOSE, UpdateType.SL_HIT}:
        return _close_all(plan, "close" if update.kind is UpdateType.CLOSE else "stop")
    if update.kind is UpdateType.PARTIAL_CLOSE:
        return _partial_close(plan, update.fraction or _HALF)
    if update.kind is UpdateType.CANCEL:
        return _channel_cancel(plan)
    if update.kind is UpdateType.TP_HIT and update.targets:
        return _new_targets(plan, update.targets)
    return []


def _channel_stop(plan: Plan, update: ChannelUpdate) -> list[Action]:
    if update.to_entry:
        if plan.avg_entry is None:
            return [legs.not_applied("no entry has filled yet, so there is no entry to move to")]
        new = round_price(plan.avg_entry, plan.price_step, up=plan.side is Side.LONG)
    elif update.price is None:
        return [legs.not_applied("the update names no stop price")]
    else:
        new = update.price
    market = plan.last_price
    if market is not None and legs.past(plan, new, market):
        return [
            legs.not_applied(
                "the new stop is on the wrong side of the market price",
                stop=new,
                price=market,
            )
        ]
    return legs.move_stop(plan, new, "channel")


def _partial_close(plan: Plan, fraction: Decimal) -> list[Action]:
    free = legs.free(plan)
    if free <= 0:
        return [legs.not_applied("nothing is held yet", fraction=fraction)]
    amount = floor_step(free * min(fraction, Decimal(1)), plan.amount_step)
    price = plan.last_price or plan.avg_entry or _ZERO
    if legs.tiny(plan, amount, price):
        return [legs.not_applied("the part to close is under the market's minimum", amount=amount)]
    if legs.tiny(plan, free - amount, price):
        amount = free
    return legs.exit(plan, amount, "partial")


def _channel_cancel(plan: Plan) -> list[Action]:
    waiting = legs.live(plan, LegKind.ENTRY)
    if plan.held <= 0:
        return _end(plan, PlanStatus.CANCELLED, "cancelled", "channel", entries=len(waiting))
    note = "The position already held stays open and managed."
    details = {"reason": "channel", "entries": len(waiting), "note": note, **legs.figures(plan)}
    return [*legs.cancel(waiting), Notify("cancelled", details)]


def _new_targets(plan: Plan, targets: tuple[Decimal, ...]) -> list[Action]:
    hit = plan.targets_hit
    kept = plan.targets[:hit]
    fresh = sorted(set(targets) - set(kept), reverse=plan.side is Side.SHORT)
    if kept:
        fresh = [t for t in fresh if legs.past(plan, t, kept[-1])]
    if not fresh:
        return [legs.not_applied("the update names no target beyond those already hit")]
    left = Decimal(1) - sum(plan.tp_weights[:hit], _ZERO)
    each = (left / len(fresh)).quantize(Decimal("0.0001"))
    old = list(plan.targets)
    plan.targets = [*kept, *fresh]
    plan.tp_weights = [*plan.tp_weights[:hit], *[each] * (len(fresh) - 1)]
    plan.tp_weights.append(Decimal(1) - sum(plan.tp_weights, _ZERO))
    actions = legs.protect(plan, stop=False) if plan.held > 0 else []
    return [*actions, Notify("targets_changed", {"old": old, "new": list(plan.targets)})]
