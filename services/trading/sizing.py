"""Sizing an order against a market, without I/O: the user's numbers checked first, then the
price sanity check, rounding to the exchange's steps and its minimums.

Every refusal is a ``UserError`` naming the numbers the user needs to fix the order. Amounts
are truncated to the amount step (never rounded up: an order never spends more than asked). A
stop order's trigger must be on the side the price has yet to reach (above the market for a
buy, below for a sell), or it would fill at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.domain import OrderSide, OrderType
from core.errors import UserError
from services.exchange.base import MarketInfo, OrderRequest, Ticker
from services.symbols import MAX_AMOUNT, fmt_number, round_to, truncate


@dataclass(frozen=True, slots=True)
class SizedOrder:
    """An order ready to send, with what it is expected to cost in the quote asset."""

    request: OrderRequest
    est_cost: Decimal
    quote: str


def order_kind(
    amount: Decimal | None,
    price: Decimal | None,
    order_type: OrderType | None,
    share: Decimal | None = None,
) -> tuple[OrderType, Decimal | None]:
    """Check the user's amount (or share of a holding) and price; returns the order type and
    the price it keeps (None at market). A price without a type means a limit order."""
    if (amount is None) == (share is None):
        raise UserError("Give one amount: coins (0.01), money (100usdt) or a share (50%, all).")
    if share is not None and not (share.is_finite() and 0 < share <= 1):
        raise UserError("A share is above 0% and at most 100%.")
    if amount is not None and (not amount.is_finite() or amount <= 0):
        raise UserError("The amount must be above zero.")
    if amount is not None and amount > MAX_AMOUNT:
        raise UserError(f"The amount {fmt_number(amount)} is too large to be real.")
    if price is not None and (not price.is_finite() or price <= 0):
        raise UserError("The price must be above zero.")
    kind = order_type or (OrderType.LIMIT if price is not None else OrderType.MARKET)
    if kind is not OrderType.MARKET and price is None:
        raise UserError(f"A {kind.value} order needs a price.")
    return kind, None if kind is OrderType.MARKET else price


def size_order(
    market: MarketInfo,
    ticker: Ticker,
    *,
    side: OrderSide,
    amount: Decimal,
    amount_in_quote: bool,
    price: Decimal | None,
    kind: OrderType,
    max_deviation: Decimal,
    client_order_id: str,
) -> SizedOrder:
    """The request for ``amount`` (base units, or quote money when ``amount_in_quote``) on
    ``market``, priced at ``price`` or, at market, at the side of the book it takes."""
    if price is not None:
        price = _checked_price(price, ticker.last, market, max_deviation)
    if kind is OrderType.STOP and price is not None:
        _check_trigger(side, price, ticker.last, market)
    reference = price if price is not None else _side_price(ticker, side)
    sized = _sized_amount(amount / reference if amount_in_quote else amount, market)
    est_cost = sized * reference
    if market.min_cost is not None and est_cost < market.min_cost:
        raise UserError(
            f"An order worth {fmt_number(est_cost)} {market.quote} is below the minimum of "
            f"{fmt_number(market.min_cost)} {market.quote} for {market.symbol}."
        )
    request = OrderRequest(
        symbol=market.symbol,
        side=side,
        type=kind,
        amount=sized,
        client_order_id=client_order_id,
        price=price,
    )
    return SizedOrder(request, est_cost.quantize(Decimal("1e-8")).normalize(), market.quote)


def _side_price(ticker: Ticker, side: OrderSide) -> Decimal:
    return (ticker.ask if side is OrderSide.BUY else ticker.bid) or ticker.last


def _checked_price(
    price: Decimal, last: Decimal, market: MarketInfo, deviation: Decimal
) -> Decimal:
    """``price`` rounded to the price step, unless it is a likely typo (too far from ``last``)."""
    if price > last * deviation or price < last / deviation:
        raise UserError(
            f"A price of {fmt_number(price)} {market.quote} is more than "
            f"{fmt_number(deviation)}× away from the market "
            f"({fmt_number(last)} {market.quote}); check for a typo."
        )
    return round_to(price, market.price_step)


def _check_trigger(side: OrderSide, trigger: Decimal, last: Decimal, market: MarketInfo) -> None:
    """A stop waits for the price to move to it: a buy stop above the market, a sell stop below.
    One on the other side would fill at once, which is not what a stop is for."""
    if side is OrderSide.BUY and trigger <= last:
        where, move, instead = "at or below", "rise", "buy at or below the market"
    elif side is OrderSide.SELL and trigger >= last:
        where, move, instead = "at or above", "fall", "sell at or above the market"
    else:
        return
    raise UserError(
        f"A {side.value} stop at {fmt_number(trigger)} {market.quote} is {where} the market "
        f"({fmt_number(last)} {market.quote}), so it would fill at once. A {side.value} stop "
        f"waits for the price to {move} to it; to {instead}, give a limit price instead "
        "(without 'stop')."
    )


def _sized_amount(base_amount: Decimal, market: MarketInfo) -> Decimal:
    """``base_amount`` truncated to the amount step; refused when absurd or below the minimum."""
    if base_amount > MAX_AMOUNT:
        raise UserError(f"The amount {fmt_number(base_amount)} is too large to be real.")
    sized = truncate(base_amount, market.amount_step)
    minimum = market.min_amount or market.amount_step
    if sized <= 0 or (minimum is not None and sized < minimum):
        raise UserError(
            f"{fmt_number(base_amount)} {market.base} is below the minimum of "
            f"{fmt_number(minimum or Decimal(0))} {market.base} for {market.symbol}."
        )
    return sized
