"""Settling orders whose outcome is unknown, and telling owners what happened to their orders.

``reconcile()`` (at start and periodically) looks orders that are not final up at the exchange
by exchange or client order id; it never sends an order. An order still being placed is safe:
placement holds the user's lock until the exchange answered, and the reconciler takes the same
lock or skips the order until the next pass. Only an order whose placement is unknown
(``pending``, ``unknown``) is ever given up, after the attempts *and* the age, and then as
``not_found`` (never ``rejected``: nobody refused it). An order the exchange acknowledged (open,
partly filled) stays as it is while a lookup says "no such order": only the exchange's own
status (filled, cancelled) ends it. ``notify_changes()`` queues one outbox message per
(order, status) the owner was not told about; its text comes from the ``OrderMessages`` port,
which the handler layer implements (services return data, handlers render).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Final, Protocol

import structlog

from core.cache import Locks
from core.clock import Clock
from core.config import ExchangeSettings
from core.db.models import User
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.orders import OrderRepository
from core.db.session import Database
from core.domain import OrderStatus
from core.errors import (
    ExchangeError,
    NotFound,
    ServiceUnavailable,
    TemporaryExchangeError,
    UserError,
)
from services.exchange.base import ExchangeClient, OrderResult
from services.exchange.paper import PaperEngine
from services.ports import Notifier
from services.trading.accounts import TradingAccounts
from services.trading.submit import OrderSubmitter, trade_lock
from services.trading.views import order_view
from services.trading_dto import AccountView, OrderView

log = structlog.get_logger(__name__)

RECONCILE_LOCK_WAIT_S: Final = 2.0
PLACEMENT_UNKNOWN: Final = (OrderStatus.PENDING, OrderStatus.UNKNOWN)
NOT_FINAL: Final = (
    OrderStatus.PENDING,
    OrderStatus.UNKNOWN,
    OrderStatus.OPEN,
    OrderStatus.PARTIALLY_FILLED,
)
NOTIFY: Final = (
    OrderStatus.FILLED,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.CANCELLED,
    OrderStatus.REJECTED,
    OrderStatus.NOT_FOUND,
)
NEVER_PLACED: Final = "Not found at the exchange after every check; nothing was traded."


class OrderMessages(Protocol):
    """Renders what the reconciler queues in the outbox (implemented in the handler layer)."""

    def order_update(self, order: OrderView) -> str:
        """The message telling the owner the order's current status."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class _Check:
    """What the reconciler needs of one order, read outside any transaction."""

    id: int
    user_id: int
    account_id: int
    symbol: str
    client_order_id: str
    exchange_order_id: str | None
    status: OrderStatus
    created_at: datetime
    is_paper: bool


async def find_order(
    client: ExchangeClient,
    symbol: str,
    exchange_order_id: str | None,
    cid: str | None,
) -> OrderResult | None:
    """The order as the exchange knows it, by its exchange id, else by client order id;
    None when neither finds it."""
    if exchange_order_id is not None:
        try:
            return await client.fetch_order(symbol, exchange_order_id)
        except NotFound:
            if cid is None:
                return None
    if cid is None:
        return None
    return await client.fetch_order_by_client_id(symbol, cid)


class Reconciler:
    """Paper fills, reconciliation with the exchanges and change notifications."""

    def __init__(
        self,
        db: Database,
        accounts: TradingAccounts,
        submitter: OrderSubmitter,
        *,
        paper: PaperEngine,
        locks: Locks,
        notifier: Notifier,
        messages: OrderMessages,
        settings: ExchangeSettings,
        clock: Clock,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._submitter = submitter
        self._paper = paper
        self._locks = locks
        self._notifier = notifier
        self._messages = messages
        self._settings = settings
        self._clock = clock

    async def run_paper_pass(self) -> list[int]:
        """Fill resting paper orders the price crossed, and tell their owners."""
        filled = await self._paper.check_resting()
        if filled:
            await self.notify_changes()
        return filled

    async def run_maintenance(self) -> None:
        """One pass of everything periodic: paper fills, reconciliation, notifications."""
        await self._paper.check_resting()
        await self.reconcile()
        await self.notify_changes()

    async def reconcile(self, limit: int = 100) -> int:
        """Settle orders whose outcome is not known yet; returns how many changed status."""
        changed = 0
        for check in await self._checks(limit):
            try:
                async with self._locks.lock(trade_lock(check.user_id), RECONCILE_LOCK_WAIT_S):
                    changed += await self._reconcile_one(check)
            except ServiceUnavailable:
                continue  # a placement for this user is in flight; next pass
            except (ExchangeError, UserError) as exc:
                log.warning("order_reconcile_failed", order_id=check.id, error=str(exc))
        return changed

    async def _checks(self, limit: int) -> list[_Check]:
        """The orders to look up; resting paper orders are left to the paper pass."""
        async with self._db.session() as session:
            rows = await OrderRepository(session).to_reconcile(NOT_FINAL, limit=limit)
            checks = []
            for row in rows:
                account = await AccountRepository(session).get(row.account_id)
                if account is None:
                    continue
                if account.is_paper and row.status not in PLACEMENT_UNKNOWN:
                    continue  # resting paper orders are filled by the paper pass
                checks.append(
                    _Check(
                        row.id,
                        row.user_id,
                        row.account_id,
                        row.symbol,
                        row.client_order_id,
                        row.exchange_order_id,
                        row.status,
                        row.created_at,
                        account.is_paper,
                    )
                )
        return checks

    async def _reconcile_one(self, check: _Check) -> int:
        account = await self._accounts.by_id(check.account_id)
        client = await self._accounts.client(account, check.symbol)
        try:
            found = await find_order(
                client, check.symbol, check.exchange_order_id, check.client_order_id
            )
        except TemporaryExchangeError as exc:
            log.info("order_reconcile_deferred", order_id=check.id, error=str(exc))
            return 0
        if found is not None:
            status = await self._submitter.apply(check.id, account, found, notified=False)
            return int(status is not check.status)
        if check.status not in PLACEMENT_UNKNOWN:
            # the exchange acknowledged it: a miss is its lag or a glitch, never an outcome
            log.warning("open_order_not_found_at_exchange", order_id=check.id)
            return 0
        return await self._not_found(check, account)

    async def _not_found(self, check: _Check, account: AccountView) -> int:
        """Count one more miss of an order whose placement is unknown; give up (``not_found``:
        it was never placed, nothing was traded) when it is time."""
        age = (self._clock() - check.created_at).total_seconds()
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(check.id, lock=True)
            if row is None or row.status is not check.status:
                return 0
            row.reconcile_attempts += 1
            attempts = row.reconcile_attempts
            # Absence proves nothing while the exchange may lag (F6). Paper is transactional:
            # under the user's lock, a row it never executed will never be executed.
            give_up = check.is_paper or (
                attempts >= self._settings.reconcile_max_attempts
                and age >= self._settings.reconcile_give_up_s
            )
            if give_up:
                row.status = OrderStatus.NOT_FOUND
                row.error = NEVER_PLACED
        log.info(
            "order_not_found_at_exchange",
            order_id=check.id,
            attempts=attempts,
            gave_up=give_up,
        )
        if give_up:
            self._submitter.count(account, OrderStatus.NOT_FOUND)
            return 1
        return 0

    async def notify_changes(self, limit: int = 100) -> int:
        """Queue one outbox message per (order, new status) the owner was not told about."""
        pending = await self._unnotified(limit)
        for user_id, chat_id, status, view in pending:
            # a resting paper order the engine filled: the user's balance changed
            await self._accounts.holdings_changed(user_id)
            await self._notifier.notify(
                chat_id,
                self._messages.order_update(view),
                dedupe_key=f"order:{view.id}:{status}",
                user_id=user_id,
            )
            async with self._db.transaction() as session:
                row = await OrderRepository(session).get(view.id, lock=True)
                if row is not None and row.status.value == status:
                    row.notified_status = status
        return len(pending)

    async def _unnotified(self, limit: int) -> list[tuple[int, int, str, OrderView]]:
        """(user id, chat id, status, view) of each order whose owner was not told."""
        async with self._db.session() as session:
            rows = await OrderRepository(session).unnotified(NOTIFY, limit=limit)
            pending: list[tuple[int, int, str, OrderView]] = []
            for row in rows:
                account = await AccountRepository(session).get(row.account_id)
                user = await session.get(User, row.user_id)
                if account is None or user is None:
                    continue
                view = order_view(row, account)
                pending.append((user.id, user.telegram_id, row.status.value, view))
        return pending
