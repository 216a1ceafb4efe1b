"""Frozen views the trading service hands out (ORM rows never leave the service), and which
assets are cash (their sums read as money, with two decimals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from core.domain import MarketType, OrderSide, OrderStatus, OrderType
from services import quotes

# Stablecoins and fiat: a balance in one is money, not a holding to mark at a price.
CASH_ASSETS: Final = quotes.CASH_ASSETS  # the one table of quotes (services/quotes.py)


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    label: str
    exchange_id: str
    is_paper: bool
    sandbox: bool
    key_hint: str | None
    market_type: MarketType = MarketType.SPOT  # perp: USDT-margined perpetual futures


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """What a Confirm button stands for; ``token`` is the opaque id the button carries."""

    token: str
    account: AccountView
    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None
    est_cost: Decimal  # the order's value in ``quote`` (a perp's notional)
    quote: str
    expires_at: datetime
    # perps only: the leverage asked for, the margin it puts up, the estimated liquidation
    # price of what it opens (None when it only closes), the contracts of an opposite
    # position it closes first
    leverage: int | None = None
    margin: Decimal | None = None
    liquidation_price: Decimal | None = None
    reduces: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    account_label: str
    is_paper: bool
    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None
    filled: Decimal
    average: Decimal | None
    status: OrderStatus
    fee: Decimal
    priced_by: str | None
    created_at: datetime
    client_order_id: str
    fee_asset: str | None = None
    error: str | None = None
    # perps: the leverage in force for the order, and the one asked for when the exchange
    # kept another (a position was open at it)
    leverage: int | None = None
    leverage_asked: int | None = None


@dataclass(frozen=True, slots=True)
class BalanceView:
    account: AccountView
    assets: list[tuple[str, Decimal, Decimal]]  # (asset, free, used)


@dataclass(frozen=True, slots=True)
class PriceView:
    symbol: str
    price: Decimal
    source: str
    price_step: Decimal | None = None  # the market's tick, when the exchange gives one
