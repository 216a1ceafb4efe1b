"""The exchange port: one interface for live (ccxt) and paper exchanges.

Money is ``Decimal`` on this side of the port; floats exist only inside the ccxt adapter.
Adapters raise only ``core.errors`` exchange errors (``TemporaryExchangeError``,
``OrderRejected`` and its subclasses, ``UserError`` for input that can never succeed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain import OrderSide, OrderStatus, OrderType, Side


@dataclass(frozen=True, slots=True)
class MarketInfo:
    symbol: str  # unified, e.g. "BTC/USDT"
    base: str
    quote: str
    amount_step: Decimal | None  # tick size for amounts (None: exchange gives none)
    price_step: Decimal | None
    min_amount: Decimal | None
    min_cost: Decimal | None  # minimum notional in quote units
    active: bool = True
    spot: bool = True


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    last: Decimal
    bid: Decimal | None
    ask: Decimal | None
    at: datetime
    source: str  # which feed priced it, e.g. "binance ticker" or "replay BTCUSDT_1m.csv"


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    free: Decimal
    used: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.used


@dataclass(frozen=True, slots=True)
class OrderRequest:
    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal  # base units, already through the market's precision
    client_order_id: str
    price: Decimal | None = None  # limit price, or trigger price for stop orders
    reduce_only: bool = False  # perps: may only shrink the position (TP and SL legs)


@dataclass(frozen=True, slots=True)
class OrderResult:
    exchange_order_id: str | None
    client_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    status: OrderStatus
    amount: Decimal
    filled: Decimal
    price: Decimal | None
    average: Decimal | None
    fee: Decimal = Decimal(0)
    fee_asset: str | None = None
    priced_by: str | None = None  # paper: the feed that priced the fill
    raw: dict[str, object] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    amount: Decimal  # base units held (spot) or contracts (futures); negative = short
    entry_price: Decimal | None
    mark_price: Decimal | None
    unrealized_pnl: Decimal | None
    # perps only (None on spot holdings)
    side: Side | None = None
    leverage: int | None = None
    liquidation_price: Decimal | None = None
    margin: Decimal | None = None  # isolated margin (wallet balance of the position)


class ExchangeClient(Protocol):
    """What the trading service needs from any exchange."""

    name: str

    async def markets(self) -> dict[str, MarketInfo]: ...

    async def market(self, symbol: str) -> MarketInfo:
        """Raises ``UserError`` when the exchange does not list the symbol."""
        ...

    async def ticker(self, symbol: str) -> Ticker: ...

    async def balances(self) -> list[Balance]: ...

    async def create_order(self, request: OrderRequest) -> OrderResult:
        """Send once. A timeout or 5xx raises ``TemporaryExchangeError``: the outcome is
        unknown and the caller reconciles by client order id; it never resends blind."""
        ...

    async def cancel_order(self, symbol: str, exchange_order_id: str) -> OrderResult: ...

    async def fetch_order(self, symbol: str, exchange_order_id: str) -> OrderResult: ...

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderResult | None:
        """``None`` when the exchange does not (yet) know the id."""
        ...

    async def open_orders(self, symbol: str | None = None) -> list[OrderResult]: ...

    async def positions(self) -> list[Position]: ...

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        """Perps: isolated margin and ``leverage`` for ``symbol`` before its first order;
        returns the leverage in force (an exchange that refuses a change while a position is
        open keeps the current one). Spot clients raise ``UserError``."""
        ...

    async def withdrawals_enabled(self) -> bool | None:
        """True/False where the exchange exposes key permissions, else None."""
        ...

    async def ip_restricted(self) -> bool | None:
        """Whether the key works only from whitelisted IPs, where the exchange says; else
        None."""
        ...

    async def close(self) -> None: ...
