"""The caller's own trading: plans (and closing one, exactly once), orders, positions,
balances, and paper orders placed and cancelled (live ones under the chat's Confirm rules)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from api.deps import Deps, allow, need
from api.errors import describe, refusals
from api.schemas_trading import (
    BalancesOut,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderPlacedOut,
    PlanClosedOut,
    PlanOut,
    PlanPage,
    PositionOut,
    PositionPage,
)
from core.domain import OrderSide
from core.errors import NotFound, UserError
from services.api_auth import Principal
from services.api_orders import OrderAsk

TRADE: Final = "trade"
REFUSALS = refusals(400, 401, 403, 404, 409, 422, 429, 503)
router = APIRouter(tags=["trading"], responses=REFUSALS)

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="any unique string: a repeat with the same key gets the first reply",
    ),
]


@router.get("/plans", summary="The caller's trade plans: open ones, or the last closed")
async def plans(
    deps: Deps,
    principal: Annotated[Principal, allow(TRADE)],
    status: Literal["open", "closed"] = "open",
) -> PlanPage:
    service = need(deps.plans)
    if status == "open":
        views = await service.open_plans(principal.user)
    else:
        views = await service.closed_plans(principal.user, limit=50)
    return PlanPage(items=[PlanOut.of(p) for p in views])


@router.post(
    "/plans/{plan_id}/close",
    response_model=PlanClosedOut,
    summary="Close one of the caller's plans at market, as the chat's Close button (once per "
    "Idempotency-Key)",
)
async def close_plan(
    plan_id: int,
    deps: Deps,
    response: Response,
    idempotency_key: IdempotencyKey,
    principal: Annotated[Principal, allow(TRADE, write=True, webapp_writes=True)],
) -> PlanClosedOut | JSONResponse:
    service = need(deps.plans)
    if not 1 <= plan_id < 2**62:
        raise NotFound("You have no plan with that number.")

    async def run() -> tuple[int, dict[str, object]]:
        plan = await service.close_plan(principal.user, plan_id)
        return 200, {"id": plan.id, "status": plan.status.value}

    def refused(exc: UserError) -> tuple[int, dict[str, object]]:
        body = describe(exc)
        return int(body.pop("status")), body

    reply = await deps.idempotency.once(
        principal.user.id, idempotency_key, f"plan-close:{plan_id}", run, refused
    )
    replayed = {"Idempotent-Replayed": "true" if reply.replayed else "false"}
    if reply.status != 200:  # the refusal of the first request, given again as it was
        return JSONResponse({"error": reply.body.get("error")}, reply.status, replayed)
    response.headers.update(replayed)
    return PlanClosedOut(
        id=int(str(reply.body["id"])), status=str(reply.body["status"]), replayed=reply.replayed
    )


@router.get("/orders", summary="The caller's open orders (or the recent ones with history)")
async def orders(
    deps: Deps,
    principal: Annotated[Principal, allow(TRADE)],
    history: bool = False,
) -> OrderPage:
    trading = need(deps.trading)
    if history:
        views = await trading.history(principal.user, limit=50)
    else:
        views = await trading.open_orders(principal.user)
    return OrderPage(items=[OrderOut.of(o) for o in views])


@router.post(
    "/orders",
    status_code=201,
    summary="Place an order like /buy and /sell: paper at once; live waits for Confirm in "
    "Telegram unless the key was made with the PIN",
)
async def place_order(
    body: OrderIn,
    deps: Deps,
    response: Response,
    principal: Annotated[Principal, allow(TRADE, write=True)],
) -> OrderPlacedOut:
    placed = await need(deps.orders).place(
        principal.user,
        OrderAsk(
            symbol=body.pair,
            side=OrderSide(body.side),
            amount=Decimal(body.amount),
            amount_in_quote=body.amount_in_quote,
            price=Decimal(body.price) if body.price is not None else None,
            account_label=body.account,
        ),
        live_right=principal.live,
    )
    if placed.order is None:
        response.status_code = 202
        return OrderPlacedOut(
            status="awaiting_confirmation",
            order=None,
            message="Sent to your Telegram chat: press Confirm there to place it.",
        )
    return OrderPlacedOut(status="placed", order=OrderOut.of(placed.order), message="Placed.")


@router.delete("/orders/{order_id}", summary="Cancel one of the caller's open orders")
async def cancel_order(
    order_id: int,
    deps: Deps,
    principal: Annotated[Principal, allow(TRADE, write=True)],
) -> OrderOut:
    if not 1 <= order_id < 2**62:
        raise NotFound("You have no order with that number.")
    return OrderOut.of(await need(deps.trading).cancel_order(principal.user, order_id))


@router.get("/positions", summary="What the caller holds, per account")
async def positions(deps: Deps, principal: Annotated[Principal, allow(TRADE)]) -> PositionPage:
    held = await need(deps.trading).positions(principal.user)
    return PositionPage(items=[PositionOut.of(a, p) for a, ps in held for p in ps])


@router.get("/balances", summary="The balances of an account (paper by default)")
async def balances(
    deps: Deps,
    principal: Annotated[Principal, allow(TRADE)],
    account: Annotated[str | None, Query(max_length=64, description="label; none: paper")] = None,
) -> BalancesOut:
    return BalancesOut.of(await need(deps.trading).balance(principal.user, account))
