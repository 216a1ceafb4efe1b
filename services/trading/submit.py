"""Placement exactly once: the one road to an exchange, and the status bookkeeping of orders.

Under the user's lock (``trade_lock``), the order row is committed as ``pending`` with its
deterministic client order id *before* the exchange is called; a second intent with the same
client order id gets the first order back. A timeout, 5xx or unclear refusal leaves the order
``unknown``: it is never sent again, the reconciler settles it by client order id. A plan's
token goes ``pending -> used`` in the same transaction as the order row. A perp order names
its leverage: it is set on the exchange (isolated margin) after the row is stored and before
the order is sent, and the row keeps the leverage in force (an exchange keeps the current one
while a position is open); when it cannot be set, the order is rejected unsent.
"""

from __future__ import annotations

from typing import Final

import structlog

from core.cache import Locks
from core.db.models import Order
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.orders import OrderRepository
from core.db.repositories.tokens import TokenRepository
from core.db.session import Database
from core.domain import OrderStatus
from core.errors import Conflict, ExchangeError, OrderRejected, TemporaryExchangeError, UserError
from core.metrics import Metrics
from services.exchange.base import OrderRequest, OrderResult
from services.trading.accounts import TradingAccounts
from services.trading.views import order_view
from services.trading_dto import AccountView, OrderView

log = structlog.get_logger(__name__)

LOCK_TIMEOUT_S: Final = 30.0


def trade_lock(user_id: int) -> str:
    """The lock placement, cancelling and reconciling take for one user's orders."""
    return f"trade:{user_id}"


class OrderSubmitter:
    """Stores an order intent, sends it once, and records what the exchange said."""

    def __init__(
        self, db: Database, accounts: TradingAccounts, locks: Locks, metrics: Metrics | None
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._locks = locks
        self._metrics = metrics

    async def submit(
        self,
        user_id: int,
        account: AccountView,
        request: OrderRequest,
        *,
        signal_id: int | None,
        token: str | None,
        leverage: int | None = None,
        plan_id: int | None = None,
    ) -> OrderView:
        """Place ``request`` once (a perp order at ``leverage``, set first). Raises
        ``Conflict`` when ``token`` was used already, and ``OrderRejected``/``UserError`` as
        the exchange refused it or its leverage (the row says rejected)."""
        async with self._locks.lock(trade_lock(user_id), LOCK_TIMEOUT_S):
            order_id, created = await self._store_intent(
                user_id,
                account,
                request,
                signal_id=signal_id,
                token=token,
                leverage=leverage,
                plan_id=plan_id,
            )
            if not created:  # placed before with this client order id: reuse it
                return await self.view(order_id)
            self.count(account, OrderStatus.PENDING)
            log.info(
                "order_intent_stored",
                order_id=order_id,
                client_order_id=request.client_order_id,
                exchange=account.exchange_id,
            )
            if leverage is not None:
                await self._set_leverage(order_id, account, request.symbol, leverage)
            if not await self._send(order_id, account, request):
                # outcome unknown: answer with the row as this call left it, before the
                # reconciler (which takes the same lock) may settle it
                return await self.view(order_id)
        return await self.view(order_id)

    async def _store_intent(
        self,
        user_id: int,
        account: AccountView,
        request: OrderRequest,
        *,
        signal_id: int | None,
        token: str | None,
        leverage: int | None,
        plan_id: int | None,
    ) -> tuple[int, bool]:
        """Commit the ``pending`` row (and use up the token): (order id, created now)."""
        async with self._db.transaction() as session:
            if token is not None and not await TokenRepository(session).transition(
                token, "pending", "used"
            ):
                raise Conflict("This order was already placed; it is not sent twice.")
            orders = OrderRepository(session)
            order_id = await orders.insert_pending(
                {
                    "user_id": user_id,
                    "account_id": account.id,
                    "signal_id": signal_id,
                    "client_order_id": request.client_order_id,
                    "symbol": request.symbol,
                    "side": request.side,
                    "type": request.type,
                    "amount": request.amount,
                    "price": request.price,
                    "reduce_only": request.reduce_only,
                    "leverage": leverage,
                    "plan_id": plan_id,
                }
            )
            if order_id is not None:
                return order_id, True
            existing = await orders.by_client_id(request.client_order_id)
            assert existing is not None
            return existing.id, False

    async def _set_leverage(
        self, order_id: int, account: AccountView, symbol: str, leverage: int
    ) -> None:
        """Set ``leverage`` (isolated) for ``symbol`` and store the one in force; a refusal
        or an unreachable exchange rejects the order unsent, with the reason."""
        client = await self._accounts.client(account, symbol)
        try:
            in_force = await client.set_leverage(symbol, leverage)
        except (ExchangeError, UserError) as exc:
            reason = f"The leverage could not be set ({exc.user_message}); the order was not sent."
            await self.mark(order_id, account, OrderStatus.REJECTED, reason, notified=True)
            raise OrderRejected(reason) from exc
        if in_force != leverage:
            log.info("leverage_kept", order_id=order_id, asked=leverage, in_force=in_force)
            async with self._db.transaction() as session:
                row = await OrderRepository(session).get(order_id, lock=True)
                assert row is not None
                row.leverage = in_force

    async def _send(self, order_id: int, account: AccountView, request: OrderRequest) -> bool:
        """Call the exchange once; False when its answer is unknown (the order is left for the
        reconciler). A refusal is recorded and raised."""
        client = await self._accounts.client(account, request.symbol)
        try:
            result = await client.create_order(request)
        except TemporaryExchangeError as exc:
            await self.mark(order_id, account, OrderStatus.UNKNOWN, exc.user_message)
            return False
        except (OrderRejected, UserError) as exc:
            await self.mark(
                order_id, account, OrderStatus.REJECTED, exc.user_message, notified=True
            )
            raise
        except ExchangeError as exc:  # e.g. a clock-skew refusal: outcome unclear, check
            await self.mark(order_id, account, OrderStatus.UNKNOWN, exc.user_message)
            return False
        await self.apply(order_id, account, result, notified=True, known=OrderStatus.PENDING)
        return True

    async def mark(
        self,
        order_id: int,
        account: AccountView,
        status: OrderStatus,
        error: str | None,
        *,
        notified: bool = False,
    ) -> None:
        """Set a status the exchange did not report (unknown, rejected) unless final already."""
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(order_id, lock=True)
            assert row is not None
            if not row.status.is_final:  # the paper engine may have written it already
                row.status = status
                row.error = error
            status = row.status
            if notified:
                row.notified_status = status.value
            user_id = row.user_id
        await self._accounts.holdings_changed(user_id)
        self.count(account, status)
        log.info("order_status", order_id=order_id, status=status.value)

    async def apply(
        self,
        order_id: int,
        account: AccountView,
        result: OrderResult,
        *,
        notified: bool,
        known: OrderStatus | None = None,
    ) -> OrderStatus:
        """Copy what the exchange says into the row; returns the status now stored. ``known``:
        the status this process last saw (the paper engine writes the row itself)."""
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(order_id, lock=True)
            assert row is not None
            before = known or row.status
            status = result.status
            if status is OrderStatus.UNKNOWN:
                status = before
            write_result(row, result, status)
            if notified:
                row.notified_status = status.value
            user_id = row.user_id
        await self._accounts.holdings_changed(user_id)
        if status is not before:
            self.count(account, status)
            log.info("order_status", order_id=order_id, status=status.value)
        return status

    def count(self, account: AccountView, status: OrderStatus) -> None:
        """``tsbot_orders_total{exchange,status}`` += 1."""
        if self._metrics is not None:
            self._metrics.orders.labels(account.exchange_id, status.value).inc()

    async def view(self, order_id: int) -> OrderView:
        """The order as it is stored now."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            assert order is not None
            account = await AccountRepository(session).get(order.account_id)
            assert account is not None
            return order_view(order, account)


def write_result(row: Order, result: OrderResult, status: OrderStatus) -> None:
    """What the exchange answered, into the order's row, with ``status`` the one to store
    (the caller decides it: an ``unknown`` answer keeps what was known)."""
    row.status = status
    row.exchange_order_id = result.exchange_order_id or row.exchange_order_id
    row.filled = result.filled
    row.average = result.average if result.average is not None else row.average
    row.fee = result.fee
    row.fee_asset = result.fee_asset or row.fee_asset
    row.priced_by = result.priced_by or row.priced_by
    if row.price is None and result.price is not None:
        row.price = result.price
    if status is not OrderStatus.REJECTED:
        row.error = None if status is not OrderStatus.CANCELLED else row.error
    row.reconcile_attempts = 0
