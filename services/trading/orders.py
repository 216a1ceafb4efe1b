"""The user's orders after placement: open orders, history, cancelling one or all, and which
signals have orders.

Only the owner reaches an order (``NotFound`` otherwise). Cancelling takes the same per-user lock
as placement; an order the exchange no longer has open is looked up and stored as it really is.
"""

from __future__ import annotations

from core.cache import Locks
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.orders import OrderRepository
from core.db.session import Database
from core.domain import OrderStatus
from core.errors import Conflict, NotFound
from services.dto import UserView
from services.trading.accounts import TradingAccounts, require_trader
from services.trading.reconcile import NOT_FINAL, find_order
from services.trading.submit import LOCK_TIMEOUT_S, OrderSubmitter, trade_lock
from services.trading.views import account_view, order_view
from services.trading_dto import AccountView, OrderView


class UserOrders:
    """Reading and cancelling a user's orders."""

    def __init__(
        self,
        db: Database,
        accounts: TradingAccounts,
        submitter: OrderSubmitter,
        locks: Locks,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._submitter = submitter
        self._locks = locks

    async def open_orders(self, user: UserView, symbol: str | None = None) -> list[OrderView]:
        """Orders not yet final (open, partly filled, or being checked), newest first."""
        require_trader(user)
        resolved = await self._accounts.resolve_symbol(symbol) if symbol else None
        async with self._db.session() as session:
            rows = await OrderRepository(session).with_accounts(
                user.id, statuses=NOT_FINAL, symbol=resolved, limit=100
            )
            return [order_view(o, a) for o, a in rows]

    async def history(self, user: UserView, limit: int = 20) -> list[OrderView]:
        """The user's latest orders, newest first."""
        require_trader(user)
        async with self._db.session() as session:
            rows = await OrderRepository(session).with_accounts(user.id, limit=max(1, limit))
            return [order_view(o, a) for o, a in rows]

    async def cancel(self, user: UserView, order_id: int) -> OrderView:
        """Cancel one open order of the user's. ``NotFound`` for someone else's order;
        ``Conflict`` when it is no longer open (then its real state is fetched)."""
        require_trader(user)
        account, symbol, exchange_id = await self._cancellable(user, order_id)
        async with self._locks.lock(trade_lock(user.id), LOCK_TIMEOUT_S):
            client = await self._accounts.client(account, symbol)
            try:
                result = await client.cancel_order(symbol, exchange_id)
            except NotFound:
                found = await find_order(client, symbol, exchange_id, None)
                if found is not None:
                    await self._submitter.apply(order_id, account, found, notified=True)
                view = await self._submitter.view(order_id)
                raise Conflict(
                    f"Order #{order_id} was no longer open: it is {view.status.value}."
                ) from None
            await self._submitter.apply(order_id, account, result, notified=True)
        return await self._submitter.view(order_id)

    async def _cancellable(self, user: UserView, order_id: int) -> tuple[AccountView, str, str]:
        """(account, symbol, exchange order id) of an order the exchange has open."""
        async with self._db.session() as session:
            row = await OrderRepository(session).get(order_id)
            if row is None or row.user_id != user.id:
                raise NotFound(f"You have no order #{order_id}.")
            account_row = await AccountRepository(session).get(row.account_id)
            assert account_row is not None
            account = account_view(account_row)
            status, symbol, exchange_id = row.status, row.symbol, row.exchange_order_id
        if status.is_final:
            said = status.value.replace("_", " ")
            raise Conflict(f"Order #{order_id} is already {said}; nothing to cancel.")
        if status in (OrderStatus.PENDING, OrderStatus.UNKNOWN) or exchange_id is None:
            raise Conflict(
                f"Order #{order_id} is still being checked with the exchange; "
                "try again in a minute."
            )
        return account, symbol, exchange_id

    async def cancel_all(self, user: UserView, symbol: str | None = None) -> list[OrderView]:
        """Cancel every open order (of one pair); returns the orders cancelled."""
        cancelled = []
        for order in await self.open_orders(user, symbol):
            if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
                continue
            try:
                cancelled.append(await self.cancel(user, order.id))
            except Conflict:
                continue
        return cancelled

    async def traded_signal_ids(self, signal_ids: list[int]) -> set[int]:
        """Those of ``signal_ids`` that have an order (of any user)."""
        async with self._db.session() as session:
            return await OrderRepository(session).signal_ids_with_orders(signal_ids)
