"""What the spot and the perp paper engines share: the order row as the order (its
``OrderResult``, the reads by id and client id), money rounding, taker prices and the
crossed test, and the internal refusal that marks a row.

A paper order's row is the order itself: ``exchange_order_id`` is ``paper-<row id>``, and a
row still ``pending``/``unknown`` was never executed (a paper fill is one transaction).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from core.db.models import Order
from core.db.repositories.orders import OrderRepository
from core.db.repositories.paper import PaperOrderRepository
from core.db.session import Database
from core.domain import MarketType, OrderSide, OrderStatus, OrderType
from core.errors import NotFound
from services.exchange.base import OrderResult
from services.symbols import price_step_for, round_to

PAPER_EXCHANGE_ID: Final = "paper"
AMOUNT_STEP: Final = Decimal("0.00000001")
MONEY_QUANTUM: Final = Decimal("1e-10")
RESTING: Final = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


def money(value: Decimal) -> Decimal:
    """``value`` on the ledger's grid (1e-10), half-even."""
    return value.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()


class Refused(Exception):
    """Internal: the order cannot be executed; the row is marked and the reason shown."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def slipped(side: OrderSide, price: Decimal, slippage: Decimal) -> Decimal:
    """``price`` moved ``slippage`` against the taker, on the market's price grid."""
    factor = 1 + slippage if side is OrderSide.BUY else 1 - slippage
    return round_to(price * factor, price_step_for(price))


def crossed(row: Order, last: Decimal) -> bool:
    """Limit: the market is at or better than the limit. Stop: it reached the trigger."""
    assert row.price is not None
    if row.type is OrderType.LIMIT:
        return last <= row.price if row.side is OrderSide.BUY else last >= row.price
    return last >= row.price if row.side is OrderSide.BUY else last <= row.price


def order_result(row: Order) -> OrderResult:
    return OrderResult(
        exchange_order_id=row.exchange_order_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,
        type=row.type,
        status=row.status,
        amount=row.amount,
        filled=row.filled,
        price=row.price,
        average=row.average,
        fee=row.fee,
        fee_asset=row.fee_asset,
        priced_by=row.priced_by,
    )


def paper_id(exchange_order_id: str) -> int:
    text = exchange_order_id.removeprefix("paper-")
    if not text.isdigit():
        raise NotFound("The paper exchange does not know that order.")
    return int(text)


class PaperOrderReads:
    """Order reads both paper engines answer alike from the rows."""

    def __init__(self, db: Database, market_type: MarketType) -> None:
        self._db = db
        self._market_type = market_type

    async def order_by_client_id(
        self, account_id: int, client_order_id: str
    ) -> OrderResult | None:
        async with self._db.session() as session:
            row = await OrderRepository(session).by_client_id(client_order_id)
        if row is None or row.account_id != account_id:
            return None
        if row.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            return None  # the paper exchange never executed it (its fill is transactional)
        return order_result(row)

    async def order(self, account_id: int, exchange_order_id: str) -> OrderResult:
        async with self._db.session() as session:
            row = await OrderRepository(session).get(paper_id(exchange_order_id))
        if row is None or row.account_id != account_id:
            raise NotFound("The paper exchange does not know that order.")
        return order_result(row)

    async def open_orders(self, account_id: int, symbol: str | None) -> list[OrderResult]:
        async with self._db.session() as session:
            rows = await PaperOrderRepository(session).resting(self._market_type)
        return [
            order_result(r)
            for r in rows
            if r.account_id == account_id and (symbol is None or r.symbol == symbol)
        ]
