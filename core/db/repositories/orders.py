"""Orders: the rows that make placement idempotent (unique ``client_order_id``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from core.db.models import ExchangeAccount, Order
from core.db.repositories.base import Repository
from core.domain import OrderStatus

PLAN_LEG_PREFIX = "tsb-p"  # client order ids of trade-plan legs (services/trade_plans/store.py)


class OrderRepository(Repository):
    async def insert_pending(self, values: dict[str, Any]) -> int | None:
        """Insert a pending order unless its client order id exists; the new id or None."""
        return await self.insert_ignore(
            Order, {**values, "status": OrderStatus.PENDING}, ["client_order_id"]
        )

    def _locked(self, stmt: Select[Order]) -> Select[Order]:
        return stmt.with_for_update() if self.dialect == "postgresql" else stmt

    async def get(self, order_id: int, *, lock: bool = False) -> Order | None:
        stmt = select(Order).where(Order.id == order_id)
        return await self._session.scalar(self._locked(stmt) if lock else stmt)

    async def by_client_id(self, client_order_id: str, *, lock: bool = False) -> Order | None:
        stmt = select(Order).where(Order.client_order_id == client_order_id)
        return await self._session.scalar(self._locked(stmt) if lock else stmt)

    async def with_accounts(
        self,
        user_id: int,
        *,
        statuses: Iterable[OrderStatus] | None = None,
        symbol: str | None = None,
        limit: int = 50,
    ) -> list[tuple[Order, ExchangeAccount]]:
        """The user's orders with their accounts, newest first."""
        stmt = (
            select(Order, ExchangeAccount)
            .join(ExchangeAccount, ExchangeAccount.id == Order.account_id)
            .where(Order.user_id == user_id)
        )
        if statuses is not None:
            stmt = stmt.where(Order.status.in_(list(statuses)))
        if symbol is not None:
            stmt = stmt.where(Order.symbol == symbol)
        stmt = stmt.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
        return [(o, a) for o, a in (await self._session.execute(stmt)).all()]

    async def to_reconcile(
        self,
        statuses: Sequence[OrderStatus],
        *,
        created_before: datetime | None = None,
        limit: int = 100,
    ) -> list[Order]:
        """Orders in ``statuses`` (older than ``created_before``), least recently checked
        first."""
        stmt = select(Order).where(Order.status.in_(list(statuses)))
        if created_before is not None:
            stmt = stmt.where(Order.created_at < created_before)
        stmt = stmt.order_by(Order.updated_at, Order.id).limit(limit)
        return list(await self._session.scalars(stmt))

    async def unnotified(self, statuses: Sequence[OrderStatus], limit: int = 100) -> list[Order]:
        """Orders whose status changed to one of ``statuses`` since the owner was last told.
        A trade plan's legs (client ids ``tsb-p…``) are left out: the plan's own notes tell
        each step with its figures."""
        stmt = (
            select(Order)
            .where(
                Order.status.in_(list(statuses)),
                or_(Order.notified_status.is_(None), Order.notified_status != Order.status),
                Order.client_order_id.not_like(f"{PLAN_LEG_PREFIX}%"),
            )
            .order_by(Order.id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))

    async def signal_ids_with_orders(self, signal_ids: Sequence[int]) -> set[int]:
        if not signal_ids:
            return set()
        stmt = select(Order.signal_id).where(Order.signal_id.in_(list(signal_ids))).distinct()
        return {sid for sid in await self._session.scalars(stmt) if sid is not None}
