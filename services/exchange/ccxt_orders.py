"""An ``OrderRequest`` -> the ccxt ``create_order`` arguments, checked before anything is sent.

``prepare_order`` puts amount and price through the market's precision (ccxt's own
``amount_to_precision``, which truncates, and ``price_to_precision``) and checks them against
the market's minimums, raising ``UserError`` for an order the market can never take, so nothing
hopeless reaches the exchange. Derivatives clients alone take reduce-only and stop orders; a
stop is the unified stop-market order (ccxt ``triggerPrice`` on a market order: binance futures
``STOP_MARKET``), a reduce-only order sends ``reduceOnly`` and has no minimum notional (Binance
exempts them). Amounts are contracts, so only markets whose contract is one unit of the base
are traded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ccxt

from core.domain import OrderType
from core.errors import UserError
from services.exchange.base import MarketInfo, OrderRequest
from services.exchange.ccxt_payloads import fmt, to_decimal


@dataclass(frozen=True, slots=True)
class PreparedOrder:
    """The arguments of one ccxt ``create_order`` call and what it tries, for messages."""

    type: str
    amount: Decimal
    limit: Decimal | None
    params: dict[str, Any] = field(default_factory=dict)
    action: str = ""


async def prepare_order(
    ex: Any,
    request: OrderRequest,
    info: MarketInfo,
    *,
    derivatives: bool,
    display: str,
    reference_price: Callable[[], Awaitable[Decimal]],
) -> PreparedOrder:
    """Checked ccxt arguments for ``request``; ``reference_price`` prices a market order for
    the minimum-notional check. Raises ``UserError`` for an order the market can never take."""
    if not info.active:
        raise UserError(f"{request.symbol} is not trading on {display} right now.")
    _check_kind(ex, request, info, derivatives=derivatives, display=display)
    amount = _amount_to_precision(ex, request, info)
    price: Decimal | None = None
    if request.type in (OrderType.LIMIT, OrderType.STOP):
        if request.price is None or request.price <= 0:
            raise UserError(f"A {request.type.value} order needs a price above zero.")
        price = _to_precision(ex, "price", request.symbol, request.price)
    if not request.reduce_only:  # Binance: no minimum notional for orders that only shrink
        cost = amount * (price or await reference_price())
        if info.min_cost is not None and cost < info.min_cost:
            raise UserError(
                f"Order value {fmt(cost)} {info.quote} is below the exchange minimum of "
                f"{fmt(info.min_cost)} {info.quote}."
            )
    params: dict[str, Any] = {"clientOrderId": request.client_order_id}
    if request.reduce_only:
        params["reduceOnly"] = True
    if request.type is OrderType.STOP and price is not None:
        params["triggerPrice"] = float(price)
        return PreparedOrder(
            "market", amount, None, params, _action(request, amount, price, info, display)
        )
    return PreparedOrder(
        request.type.value, amount, price, params, _action(request, amount, price, info, display)
    )


def _check_kind(
    ex: Any, request: OrderRequest, info: MarketInfo, *, derivatives: bool, display: str
) -> None:
    if not derivatives:
        if request.type is OrderType.STOP:
            raise UserError("Stop orders are not supported on live spot exchanges yet.")
        if request.reduce_only:
            raise UserError("Reduce-only orders exist on perpetual futures only.")
        return
    if info.spot:
        raise UserError(f"{request.symbol} is a spot market; perps are e.g. BTC/USDT:USDT.")
    size = to_decimal(ex.markets[request.symbol].get("contractSize"))
    if size not in (None, Decimal(1)):
        raise UserError(
            f"{request.symbol} contracts on {display} are {fmt(size)} {info.base} each, "
            "which is not supported yet."
        )
    if request.type is OrderType.STOP and not (
        ex.has.get("createTriggerOrder") or ex.has.get("createStopMarketOrder")
    ):
        raise UserError(f"{display} takes no stop orders through this bot.")


def _amount_to_precision(ex: Any, request: OrderRequest, info: MarketInfo) -> Decimal:
    minimum = info.min_amount or info.amount_step
    below = UserError(
        f"Amount {fmt(request.amount)} {info.base} is below the exchange minimum of "
        f"{fmt(minimum or Decimal(0))} {info.base}."
    )
    if request.amount <= 0:
        raise UserError(f"Amount must be above zero, got {fmt(request.amount)}.")
    try:
        amount = _to_precision(ex, "amount", request.symbol, request.amount)
    except UserError as exc:
        raise below from exc
    if info.min_amount is not None and amount < info.min_amount:
        raise below
    return amount


def _to_precision(ex: Any, kind: str, symbol: str, value: Decimal) -> Decimal:
    """ccxt's ``amount_to_precision`` (truncates) / ``price_to_precision`` (rounds)."""
    helper = ex.amount_to_precision if kind == "amount" else ex.price_to_precision
    try:
        text = helper(symbol, float(value))
    except ccxt.InvalidOrder as exc:  # the value rounds to zero
        raise UserError(f"The {kind} {fmt(value)} is too small for {symbol}.") from exc
    result = to_decimal(text)
    if result is None or result <= 0:
        raise UserError(f"The {kind} {fmt(value)} is too small for {symbol}.")
    return result


def _action(
    request: OrderRequest, amount: Decimal, price: Decimal | None, info: MarketInfo, display: str
) -> str:
    """What an order tries to do: "buy 0.5 BTC at 50000 USDT on Binance"."""
    if request.type is OrderType.STOP and price is not None:
        at = f"at market once the price reaches {fmt(price)} {info.quote}"
    else:
        at = f"at {fmt(price)} {info.quote}" if price is not None else "at market"
    reduce = " (reduce only)" if request.reduce_only else ""
    return f"{request.side.value} {fmt(amount)} {info.base} {at}{reduce} on {display}"
