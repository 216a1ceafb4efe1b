"""The perp paper ledger: how one fill, hold or release moves a ``PerpPosition`` row and the
account's quote wallet (``PaperBalance``), inside the caller's transaction.

Invariants: the wallet's ``used`` is the sum of the positions' margins and the resting opening
orders' reserves; a flat position has no side, no entry and no margin; ``fill`` checks the
margin before it changes anything but the order's released hold, so a refused fill leaves the
position and the wallet as they were. See ``paper_perp`` for the trading rules.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Order, PaperBalance, PerpPosition
from core.db.repositories.paper import PaperBalanceRepository
from core.domain import OrderSide, OrderStatus, OrderType, Side
from services.exchange.feeds import PriceFeed
from services.exchange.liquidation import liquidation_price, max_leverage
from services.exchange.paper_orders import Refused, money, slipped
from services.symbols import fmt_number


class PaperHost(Protocol):
    """What the perp side reads from the paper engine that holds it."""

    feed: PriceFeed
    fee_rate: Decimal
    slippage: Decimal
    quote: str
    min_notional: Decimal

    async def feed_symbols(self) -> list[str]: ...


def sign(side: Side) -> int:
    return 1 if side is Side.LONG else -1


def closing_side(position: PerpPosition) -> OrderSide | None:
    if position.size <= 0 or position.side is None:
        return None
    return OrderSide.SELL if position.side is Side.LONG else OrderSide.BUY


def position_liquidation(position: PerpPosition) -> Decimal:
    """The open position's liquidation price (its margin beyond size*entry/leverage counts)."""
    assert position.side is not None and position.entry_price is not None
    initial = position.size * position.entry_price / position.leverage
    return liquidation_price(
        position.symbol,
        position.side,
        position.size,
        position.entry_price,
        position.leverage,
        position.margin - initial,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Close:
    """What closing ``qty`` of a position at a price gives back."""

    qty: Decimal
    released: Decimal
    pnl: Decimal
    fee: Decimal

    @property
    def credit(self) -> Decimal:
        # a loss beyond the isolated margin is not the wallet's (Binance: insurance fund)
        return max(self.released + self.pnl - self.fee, Decimal(0))


class PerpLedger:
    """Margin, fees and P/L of perp fills for the paper engine ``host``."""

    def __init__(self, host: PaperHost) -> None:
        self._host = host

    def slipped(self, side: OrderSide, price: Decimal) -> Decimal:
        """``price`` moved the engine's slippage against the taker."""
        return slipped(side, price, self._host.slippage)

    @staticmethod
    def cap_reduce_only(row: Order, position: PerpPosition) -> None:
        """Refuse a reduce-only order with nothing to reduce; cap it to the position."""
        if closing_side(position) is not row.side:
            wanted = "long" if row.side is OrderSide.SELL else "short"
            raise Refused(
                f"Reduce-only {row.side.value} refused: there is no {wanted} {row.symbol} "
                "position to reduce."
            )
        row.amount = min(row.amount, position.size)

    @staticmethod
    def _opening_qty(row: Order, position: PerpPosition) -> Decimal:
        """The part of ``row`` that opens or grows a position (after closing the other side)."""
        if row.reduce_only:
            return Decimal(0)
        if closing_side(position) is row.side:
            return max(row.amount - position.size, Decimal(0))
        return row.amount

    def _check_bracket(self, row: Order, leverage: int, notional: Decimal) -> None:
        allowed = max_leverage(row.symbol, notional)
        if leverage > allowed:
            raise Refused(
                f"A {row.symbol} position of {fmt_number(notional, 2)} {self._host.quote} "
                f"allows at most {allowed}x (Binance's bracket); yours is {leverage}x: lower "
                "the leverage or the size."
            )

    def _insufficient(self, row: Order, need: Decimal, free: Decimal) -> str:
        quote = self._host.quote
        return (
            f"Insufficient margin: to {row.side.value} {fmt_number(row.amount)} {row.symbol} "
            f"you need {fmt_number(need)} {quote} (margin and fee); "
            f"you have {fmt_number(free)} {quote} free."
        )

    async def wallet(self, session: AsyncSession, account_id: int) -> PaperBalance:
        return await PaperBalanceRepository(session).for_update(account_id, self._host.quote)

    async def reserve(self, session: AsyncSession, row: Order, position: PerpPosition) -> None:
        qty = self._opening_qty(row, position)
        if qty <= 0:
            return
        assert row.price is not None
        price = row.price if row.type is OrderType.LIMIT else row.price * (1 + self._host.slippage)
        grown = qty if closing_side(position) is row.side else position.size + qty
        self._check_bracket(row, position.leverage, grown * price)
        need = money(qty * price / position.leverage + qty * price * self._host.fee_rate)
        wallet = await self.wallet(session, row.account_id)
        if wallet.free < need:
            raise Refused(self._insufficient(row, need, wallet.free))
        wallet.free -= need
        wallet.used += need
        row.reserved = need

    async def release(self, session: AsyncSession, row: Order) -> None:
        if not row.reserved:
            return
        wallet = await self.wallet(session, row.account_id)
        wallet.used -= row.reserved
        wallet.free += row.reserved
        row.reserved = None

    def _close_terms(self, position: PerpPosition, qty: Decimal, price: Decimal) -> _Close:
        if qty <= 0:
            return _Close(Decimal(0), Decimal(0), Decimal(0), Decimal(0))
        assert position.side is not None and position.entry_price is not None
        released = (
            position.margin
            if qty == position.size
            else money(position.margin * qty / position.size)
        )
        pnl = money(sign(position.side) * qty * (price - position.entry_price))
        return _Close(qty, released, pnl, money(qty * price * self._host.fee_rate))

    async def fill(
        self,
        session: AsyncSession,
        row: Order,
        position: PerpPosition,
        price: Decimal,
        source: str,
    ) -> None:
        """Fill the whole order at ``price``; raises ``Refused`` before changing the wallet or
        the position when the margin does not cover it."""
        await self.release(session, row)
        if row.reduce_only:
            self.cap_reduce_only(row, position)
        wallet = await self.wallet(session, row.account_id)
        opening = self._opening_qty(row, position)
        close = self._close_terms(position, row.amount - opening, price)
        margin = money(opening * price / position.leverage)
        open_fee = money(opening * price * self._host.fee_rate)
        if opening > 0:
            grown = opening if close.qty else position.size + opening
            self._check_bracket(row, position.leverage, grown * price)
            if wallet.free + close.credit < margin + open_fee:
                raise Refused(self._insufficient(row, margin + open_fee, wallet.free))
        if close.qty:
            wallet.used -= close.released
            wallet.free += close.credit
            position.margin -= close.released
            position.size -= close.qty
            position.realized_pnl += close.pnl
            if position.size == 0:
                position.side, position.entry_price, position.margin = None, None, Decimal(0)
        if opening > 0:
            wallet.free -= margin + open_fee
            wallet.used += margin
            self._grow(position, row.side, opening, price, margin)
        row.status = OrderStatus.FILLED
        row.filled = row.amount
        row.average = price
        row.fee = close.fee + open_fee
        row.fee_asset = self._host.quote
        row.priced_by = source
        row.leverage = position.leverage
        row.error = None

    @staticmethod
    def _grow(
        position: PerpPosition, side: OrderSide, qty: Decimal, price: Decimal, margin: Decimal
    ) -> None:
        if position.size == 0 or position.entry_price is None:
            position.side = Side.LONG if side is OrderSide.BUY else Side.SHORT
            position.entry_price = price
        else:
            cost = position.size * position.entry_price + qty * price
            position.entry_price = money(cost / (position.size + qty))
        position.size += qty
        position.margin += margin
