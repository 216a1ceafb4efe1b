"""ccxt answers -> the port's types: markets, balances, positions and orders.

Pure functions over ccxt's unified dicts (ccxt has no types, so ``Any`` stops here). ccxt
numbers (float, int, str or None) become ``Decimal`` through their shortest ``str``, never
through binary float arithmetic; a field ccxt leaves empty stays ``None`` rather than 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import ccxt

from core.domain import OrderSide, OrderStatus, OrderType, Side
from core.errors import ExchangeError
from services.exchange.base import Balance, MarketInfo, OrderRequest, OrderResult, Position
from services.exchange.candles import Candle

BALANCE_META_KEYS: Final = frozenset({"info", "free", "used", "total", "timestamp", "datetime"})

CCXT_STATUS: Final[dict[str, OrderStatus]] = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}


def to_decimal(value: object) -> Decimal | None:
    """ccxt number (float, int, str or None) -> ``Decimal`` via its shortest ``str``."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def fmt(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros: ``0.00001``, ``50000``."""
    return format(value.normalize(), "f")


def timestamp(ms: object) -> datetime | None:
    """ccxt's epoch milliseconds -> aware UTC; ``None`` when the exchange sent none."""
    if isinstance(ms, int | float):
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    return None


def candles(rows: object) -> list[Candle]:
    """ccxt OHLCV rows ``[ms, open, high, low, close, volume]`` -> candles (rows with a
    missing price are dropped; ccxt gives floats, read through their text as everywhere)."""
    out: list[Candle] = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, list | tuple) or len(row) < 6:
            continue
        at = timestamp(row[0])
        values = [to_decimal(v) for v in row[1:6]]
        if at is None or any(v is None for v in values[:4]):
            continue
        o, h, low, c = (v for v in values[:4] if v is not None)
        out.append(Candle(at, o, h, low, c, values[4] or Decimal(0)))
    return out


# -- markets ----------------------------------------------------------------------------------


def step(precision: object, precision_mode: object) -> Decimal | None:
    """ccxt precision -> tick size, whatever the exchange's ``precisionMode``."""
    value = to_decimal(precision)
    if value is None:
        return None
    if precision_mode == ccxt.TICK_SIZE:
        return value
    if precision_mode == ccxt.DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(value))
    return None  # SIGNIFICANT_DIGITS has no fixed step


def market_info(market: Mapping[str, Any], precision_mode: object) -> MarketInfo:
    """One ccxt market -> ``MarketInfo``; a market not marked inactive counts as active."""
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    return MarketInfo(
        symbol=market["symbol"],
        base=market["base"],
        quote=market["quote"],
        amount_step=step(precision.get("amount"), precision_mode),
        price_step=step(precision.get("price"), precision_mode),
        min_amount=to_decimal((limits.get("amount") or {}).get("min")),
        min_cost=to_decimal((limits.get("cost") or {}).get("min")),
        active=market.get("active") is not False,
        spot=bool(market.get("spot", True)),
    )


# -- account ----------------------------------------------------------------------------------


def balances(raw: Mapping[str, Any]) -> list[Balance]:
    """ccxt's ``fetch_balance`` answer -> the assets with something free or in use."""
    result = []
    for asset, entry in raw.items():
        if asset in BALANCE_META_KEYS or not isinstance(entry, dict):
            continue
        free = to_decimal(entry.get("free")) or Decimal(0)
        used = to_decimal(entry.get("used")) or Decimal(0)
        if free or used:
            result.append(Balance(asset=asset, free=free, used=used))
    return result


def positions(raw: Iterable[Mapping[str, Any]]) -> list[Position]:
    """ccxt's ``fetch_positions`` answer (unified position structures) -> open positions:
    shorts negative, ``margin`` the position's isolated wallet (ccxt ``positionMargin``, else
    its ``initialMargin``), a liquidation price of 0 (none) as ``None``."""
    result = []
    for entry in raw:
        contracts = to_decimal(entry.get("contracts")) or Decimal(0)
        if not contracts:
            continue
        side = Side.SHORT if entry.get("side") == "short" else Side.LONG
        leverage = to_decimal(entry.get("leverage"))
        margin = to_decimal(entry.get("positionMargin"))
        result.append(
            Position(
                symbol=entry["symbol"],
                amount=-abs(contracts) if side is Side.SHORT else abs(contracts),
                entry_price=to_decimal(entry.get("entryPrice")),
                mark_price=to_decimal(entry.get("markPrice")),
                unrealized_pnl=to_decimal(entry.get("unrealizedPnl")),
                side=side,
                leverage=None if leverage is None else int(leverage),
                liquidation_price=to_decimal(entry.get("liquidationPrice")) or None,
                margin=margin if margin else to_decimal(entry.get("initialMargin")),
            )
        )
    return result


# -- orders -----------------------------------------------------------------------------------


def order_result(
    raw: Mapping[str, Any],
    *,
    request: OrderRequest | None = None,
    client_order_id: str | None = None,
) -> OrderResult:
    """One ccxt order -> ``OrderResult``; ``request``/``client_order_id`` fill what the
    exchange left out of its answer. Raises ``ExchangeError`` for an order of unknown side."""
    amount = to_decimal(raw.get("amount"))
    filled = to_decimal(raw.get("filled")) or Decimal(0)
    status = CCXT_STATUS.get(str(raw.get("status")), OrderStatus.UNKNOWN)
    if status is OrderStatus.OPEN and filled > 0:
        status = OrderStatus.PARTIALLY_FILLED
    fee, fee_asset = _fee(raw)
    type_ = _type(raw.get("type"), raw.get("triggerPrice"), request)
    price = to_decimal(raw.get("price"))
    if type_ is OrderType.STOP:  # the port's stop price is the trigger
        price = to_decimal(raw.get("triggerPrice")) or price
    return OrderResult(
        exchange_order_id=None if raw.get("id") is None else str(raw["id"]),
        client_order_id=str(
            # a binance cancel answers with the cancel's own id; the order's is "orig..."
            (raw.get("info") or {}).get("origClientOrderId")
            or raw.get("clientOrderId")
            or client_order_id
            or (request.client_order_id if request else "")
        ),
        symbol=str(raw.get("symbol") or (request.symbol if request else "")),
        side=_side(raw.get("side"), request),
        type=type_,
        status=status,
        amount=amount if amount is not None else (request.amount if request else filled),
        filled=filled,
        price=price if price else None,
        average=to_decimal(raw.get("average")),
        fee=fee,
        fee_asset=fee_asset,
        raw=dict(raw.get("info") or {}),
    )


def _side(value: object, request: OrderRequest | None) -> OrderSide:
    if value in ("buy", "sell"):
        return OrderSide(str(value))
    if request is not None:
        return request.side
    raise ExchangeError(f"The exchange reported an order with an unknown side {value!r}.")


def _type(value: object, trigger: object, request: OrderRequest | None) -> OrderType:
    """ccxt order type -> ours; a market order with a trigger price is a stop (ccxt reports
    binance futures STOP_MARKET as "market" with ``triggerPrice``)."""
    text = str(value or "").lower()
    if "stop" in text or "take_profit" in text or (text == "market" and to_decimal(trigger)):
        return OrderType.STOP
    if text == "market":
        return OrderType.MARKET
    if "limit" in text:
        return OrderType.LIMIT
    return request.type if request is not None else OrderType.LIMIT


def _fee(raw: Mapping[str, Any]) -> tuple[Decimal, str | None]:
    """Sum ccxt's fees when they are in one currency; else report the first."""
    fees = [f for f in (raw.get("fees") or []) if f and f.get("cost") is not None]
    if not fees and raw.get("fee") and raw["fee"].get("cost") is not None:
        fees = [raw["fee"]]
    if not fees:
        return Decimal(0), None
    currencies = {f.get("currency") for f in fees}
    if len(currencies) == 1:
        total = sum((to_decimal(f["cost"]) or Decimal(0) for f in fees), Decimal(0))
        return total, fees[0].get("currency")
    return to_decimal(fees[0]["cost"]) or Decimal(0), fees[0].get("currency")
