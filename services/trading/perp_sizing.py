"""Sizing a perpetual-futures order, without I/O: money is margin, the position is margin times
leverage, and the liquidation price the order would leave.

An amount in the quote asset (``100usdt``) is the MARGIN put up: the notional is margin x
leverage and the contracts are notional / price. An amount in coins is the position size.
Everything else (price sanity, steps, minimums) is ``sizing.size_order``'s. The leverage must
be within the maximum of the maintenance bracket the notional falls in (Binance's table in
``services/exchange/liquidation.py``).

One-way mode: an order against an open position of the other side closes that first
(``reduces``); only the rest opens a new position, and the liquidation price shown is that
rest's at the expected entry (None when nothing new is opened). It is an estimate: the
exchange computes the real one from the fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.domain import OrderSide, OrderType, Side
from core.errors import UserError
from services.exchange.base import MarketInfo, Position, Ticker
from services.exchange.liquidation import liquidation_price, max_leverage
from services.symbols import fmt_number
from services.trading.sizing import SizedOrder, size_order

PRICE_QUANTUM = Decimal("1e-8")


@dataclass(frozen=True, slots=True)
class PerpTerms:
    """What a perp order puts up and risks: ``margin`` (notional / leverage) at ``leverage``;
    ``reduces`` the contracts of an opposite position it closes first (0: none)."""

    leverage: int
    margin: Decimal
    liquidation_price: Decimal | None
    reduces: Decimal = Decimal(0)

    def payload(self) -> dict[str, Any]:
        """The terms as a plan token keeps them (JSON: decimals as strings)."""
        liquidation = self.liquidation_price
        return {
            "leverage": self.leverage,
            "margin": str(self.margin),
            "liquidation_price": None if liquidation is None else str(liquidation),
            "reduces": str(self.reduces),
        }


def perp_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``OrderPlan`` perp fields a stored plan payload holds (none for spot)."""
    if payload.get("leverage") is None:
        return {}
    liquidation = payload.get("liquidation_price")
    return {
        "leverage": int(payload["leverage"]),
        "margin": Decimal(payload["margin"]),
        "liquidation_price": None if liquidation is None else Decimal(liquidation),
        "reduces": Decimal(payload.get("reduces") or 0),
    }


@dataclass(frozen=True, slots=True)
class PerpAsk:
    """A perp order as asked: ``amount`` is margin in the quote when ``in_quote``."""

    symbol: str
    side: OrderSide
    amount: Decimal
    in_quote: bool
    price: Decimal | None
    kind: OrderType


def size_perp_order(
    market: MarketInfo,
    ticker: Ticker,
    *,
    side: OrderSide,
    amount: Decimal,
    margin_in_quote: bool,
    price: Decimal | None,
    kind: OrderType,
    leverage: int,
    held: Position | None,
    max_deviation: Decimal,
    client_order_id: str,
) -> tuple[SizedOrder, PerpTerms]:
    """The order for ``amount`` (contracts, or margin in quote when ``margin_in_quote``) at
    ``leverage``; ``held`` is the open position in this market, if any."""
    sized = size_order(
        market,
        ticker,
        side=side,
        amount=amount * leverage if margin_in_quote else amount,
        amount_in_quote=margin_in_quote,
        price=price,
        kind=kind,
        max_deviation=max_deviation,
        client_order_id=client_order_id,
    )
    contracts, notional = sized.request.amount, sized.est_cost
    allowed = max_leverage(market.symbol, notional)
    if leverage > allowed:
        raise UserError(
            f"{market.symbol} allows at most {allowed}x for a position of "
            f"{fmt_number(notional)} {market.quote}; lower the leverage or the size."
        )
    entry = notional / contracts
    reduces = _reduces(side, contracts, held)
    opened = contracts - reduces
    liquidation = None
    if opened > 0:
        position_side = Side.LONG if side is OrderSide.BUY else Side.SHORT
        liquidation = liquidation_price(
            market.symbol, position_side, opened, entry, leverage
        ).quantize(PRICE_QUANTUM)
    margin = (notional / leverage).quantize(PRICE_QUANTUM).normalize()
    return sized, PerpTerms(leverage, margin, liquidation, reduces)


def _reduces(side: OrderSide, contracts: Decimal, held: Position | None) -> Decimal:
    """The contracts of an opposite position ``side`` closes before opening anything."""
    if held is None or not held.amount:
        return Decimal(0)
    held_side = held.side or (Side.LONG if held.amount > 0 else Side.SHORT)
    against = Side.SHORT if side is OrderSide.BUY else Side.LONG
    if held_side is not against:
        return Decimal(0)
    return min(contracts, abs(held.amount))
