"""Rows <-> the pure plan model, and the views handlers see.

``load`` builds a ``model.Plan`` from a ``TradePlan`` row and its legs; ``save`` writes the
model back, inserting the legs the engine added (each with its client order id, fixed here once:
``tsb-p<plan>-<kind><idx>g<gen>``) and updating the others. Both run inside the caller's
transaction, so a plan's state, its new legs and the notes announcing them commit together.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import ExchangeAccount, PlanLeg, Source, TradePlan
from core.db.repositories.orders import PLAN_LEG_PREFIX
from core.domain import LegKind
from services.trade_plans.dto import LegView, PlanView
from services.trade_plans.model import Leg, Plan

_KIND_LETTER: Final = {
    LegKind.ENTRY: "e",
    LegKind.TAKE_PROFIT: "t",
    LegKind.STOP: "s",
    LegKind.EXIT: "x",
}


def leg_client_id(plan_id: int, kind: LegKind, idx: int, gen: int) -> str:
    """The client order id of a leg: deterministic, so a resend reuses it (36 chars max)."""
    return f"{PLAN_LEG_PREFIX}{plan_id}-{_KIND_LETTER[kind]}{idx}g{gen}"


def _decimals(values: list[Any]) -> list[Decimal]:
    return [Decimal(str(v)) for v in values]


def to_model(row: TradePlan, legs: list[PlanLeg]) -> Plan:
    settings = row.settings or {}
    steps = settings.get("_market", {})
    plan = Plan(
        symbol=row.symbol,
        side=row.side,
        market_type=row.market_type,
        leverage=row.leverage,
        status=row.status,
        targets=_decimals(row.targets),
        tp_weights=_decimals(row.tp_weights),
        stop_price=row.stop_price,
        initial_stop=row.initial_stop,
        quantity=row.quantity,
        entry_low=row.entry_low,
        entry_high=row.entry_high,
        filled_qty=row.filled_qty,
        avg_entry=row.avg_entry,
        closed_qty=row.closed_qty,
        realized_pnl=row.realized_pnl,
        fees=row.fees,
        realized_r=row.realized_r,
        targets_hit=row.targets_hit,
        trail_peak=row.trail_peak,
        breakeven_after=settings.get("breakeven_after"),
        trailing_from=settings.get("trailing_from"),
        trailing_pct=Decimal(str(settings.get("trailing_pct", "2"))),
        expires_at=row.expires_at,
        amount_step=_opt(steps.get("amount_step")),
        price_step=_opt(steps.get("price_step")),
        min_amount=_opt(steps.get("min_amount")),
        close_reason=row.close_reason,
    )
    plan.notes = [str(n) for n in row.notes or []]
    plan.last_price = _opt(settings.get("_last_price"))
    plan.min_cost = _opt(steps.get("min_cost"))
    plan.legs = [
        Leg(
            kind=leg.kind,
            idx=leg.idx,
            side=leg.side,
            type=leg.type,
            price=leg.price,
            amount=leg.amount,
            reduce_only=leg.reduce_only,
            gen=leg.gen,
            status=leg.status,
            filled=leg.filled,
            average=leg.average,
            fee=leg.fee,
            reason=leg.reason,
            id=leg.id,
        )
        for leg in legs
    ]
    return plan


def _opt(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def market_json(plan: Plan) -> dict[str, str | None]:
    """The market's steps the engine sizes later legs with, kept in the plan's settings."""
    values = {
        "amount_step": plan.amount_step,
        "price_step": plan.price_step,
        "min_amount": plan.min_amount,
        "min_cost": plan.min_cost,
    }
    return {k: None if v is None else str(v) for k, v in values.items()}


def write_plan(row: TradePlan, plan: Plan) -> None:
    """Copy the model's state into the row (not the legs)."""
    row.status = plan.status
    row.leverage = plan.leverage
    row.targets = [str(t) for t in plan.targets]
    row.tp_weights = [str(w) for w in plan.tp_weights]
    row.stop_price = plan.stop_price
    row.initial_stop = plan.initial_stop
    row.quantity = plan.quantity
    row.filled_qty = plan.filled_qty
    row.avg_entry = plan.avg_entry
    row.closed_qty = plan.closed_qty
    row.realized_pnl = plan.realized_pnl
    row.fees = plan.fees
    row.realized_r = plan.realized_r
    row.targets_hit = plan.targets_hit
    row.trail_peak = plan.trail_peak
    row.close_reason = plan.close_reason
    row.expires_at = plan.expires_at
    row.notes = list(plan.notes)
    if plan.last_price is not None:  # the engine checks a moved stop against it
        row.settings = {**(row.settings or {}), "_last_price": str(plan.last_price)}
    row.version = (row.version or 0) + 1


def plan_values(plan: Plan) -> dict[str, Any]:
    """The columns of a new plan row holding the model's state (``write_plan`` as a dict)."""
    return {
        "status": plan.status,
        "symbol": plan.symbol,
        "market_type": plan.market_type,
        "side": plan.side,
        "leverage": plan.leverage,
        "entry_low": plan.entry_low,
        "entry_high": plan.entry_high,
        "targets": [str(t) for t in plan.targets],
        "tp_weights": [str(w) for w in plan.tp_weights],
        "stop_price": plan.stop_price,
        "initial_stop": plan.initial_stop,
        "quantity": plan.quantity,
        "expires_at": plan.expires_at,
        "notes": list(plan.notes),
        "version": 1,
    }


def leg_values(plan_id: int, leg: Leg) -> dict[str, Any]:
    """The columns of a new leg row, its client order id fixed here."""
    return {
        "plan_id": plan_id,
        "kind": leg.kind,
        "idx": leg.idx,
        "gen": leg.gen,
        "side": leg.side,
        "type": leg.type,
        "price": leg.price,
        "amount": leg.amount,
        "reduce_only": leg.reduce_only,
        "status": leg.status,
        "client_order_id": leg_client_id(plan_id, leg.kind, leg.idx, leg.gen),
        "reason": leg.reason,
        "filled": leg.filled,
        "average": leg.average,
        "fee": leg.fee,
    }


async def save(session: AsyncSession, row: TradePlan, plan: Plan, legs: list[PlanLeg]) -> None:
    """Write the plan and its legs: new legs (no id yet) are inserted with their client ids."""
    write_plan(row, plan)
    by_id = {leg.id: leg for leg in legs}
    for leg in plan.legs:
        if leg.id is None:
            stored = PlanLeg(**leg_values(row.id, leg))
            session.add(stored)
            await session.flush()
            leg.id = stored.id
            continue
        stored = by_id[leg.id]
        stored.status = leg.status
        stored.price = leg.price
        stored.amount = leg.amount
        stored.filled = leg.filled
        stored.average = leg.average
        stored.fee = leg.fee
        stored.reason = leg.reason


def to_view(
    row: TradePlan, account: ExchangeAccount, source: Source | None, quote: str
) -> PlanView:
    name = None if source is None else _source_name(source)
    return view_of(row, account.label, name, quote)


def view_of(row: TradePlan, account_label: str, source_name: str | None, quote: str) -> PlanView:
    """The follower's view of a plan row (stored, or built from a new plan's values)."""
    return PlanView(
        id=row.id,
        user_id=row.user_id,
        signal_id=row.signal_id,
        source_name=source_name,
        account_label=account_label,
        mode=row.mode,
        symbol=row.symbol,
        market_type=row.market_type,
        side=row.side,
        leverage=row.leverage,
        status=row.status,
        entry_low=row.entry_low,
        entry_high=row.entry_high,
        targets=tuple(_decimals(row.targets)),
        tp_weights=tuple(_decimals(row.tp_weights)),
        stop_price=row.stop_price,
        initial_stop=row.initial_stop,
        quantity=row.quantity,
        filled_qty=row.filled_qty,
        avg_entry=row.avg_entry,
        closed_qty=row.closed_qty,
        realized_pnl=row.realized_pnl,
        fees=row.fees,
        realized_r=row.realized_r,
        targets_hit=row.targets_hit,
        close_reason=row.close_reason,
        notes=tuple(str(n) for n in row.notes or []),
        expires_at=row.expires_at,
        created_at=row.created_at,
        closed_at=row.closed_at,
        quote=quote,
    )


def leg_views(legs: list[PlanLeg]) -> tuple[LegView, ...]:
    return tuple(
        LegView(
            kind=leg.kind,
            idx=leg.idx,
            side=leg.side,
            type=leg.type,
            price=leg.price,
            amount=leg.amount,
            status=leg.status,
            filled=leg.filled,
            average=leg.average,
            reason=leg.reason,
        )
        for leg in legs
    )


def _source_name(source: Source) -> str:
    if source.username:
        return "@" + source.username
    return source.title or str(source.chat_id)
