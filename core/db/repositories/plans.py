"""Trade plans and their legs: the rows that make following a signal exactly-once.

``(user_id, signal_id)`` is unique on plans and ``client_order_id`` on legs, so a redelivered
signal or a restarted worker finds the plan and the legs it stored before and sends nothing
twice. Legs are matched to orders by client order id (the order row may be written before the
leg learns its id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from core.db.models import ExchangeAccount, Order, PlanLeg, Source, TradePlan
from core.db.repositories.base import Repository
from core.domain import LegStatus, MarketType, OrderStatus, PlanStatus, Side

NOT_FINAL: tuple[PlanStatus, ...] = tuple(s for s in PlanStatus if not s.is_final)
WORKING: tuple[PlanStatus, ...] = (PlanStatus.PENDING, PlanStatus.OPEN, PlanStatus.ACTIVE)
RESTING: tuple[OrderStatus, ...] = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


class PlanRepository(Repository):
    def _locked(self, stmt: Select[Any]) -> Select[Any]:
        return stmt.with_for_update() if self.dialect == "postgresql" else stmt

    async def insert(self, values: dict[str, Any]) -> int | None:
        """A new plan unless (user, signal) has one; the new id or None."""
        return await self.insert_ignore(TradePlan, values, ["user_id", "signal_id"])

    async def get(self, plan_id: int, *, lock: bool = False) -> TradePlan | None:
        stmt = select(TradePlan).where(TradePlan.id == plan_id)
        plan: TradePlan | None = await self._session.scalar(self._locked(stmt) if lock else stmt)
        return plan

    async def of_signal_user(self, signal_id: int, user_id: int) -> TradePlan | None:
        return await self._session.scalar(
            select(TradePlan).where(TradePlan.signal_id == signal_id, TradePlan.user_id == user_id)
        )

    async def legs(self, plan_id: int) -> list[PlanLeg]:
        rows = await self._session.scalars(
            select(PlanLeg).where(PlanLeg.plan_id == plan_id).order_by(PlanLeg.id)
        )
        return list(rows)

    async def with_accounts(
        self, user_id: int, statuses: Sequence[PlanStatus], limit: int
    ) -> list[tuple[TradePlan, ExchangeAccount, Source | None]]:
        stmt = (
            select(TradePlan, ExchangeAccount, Source)
            .join(ExchangeAccount, ExchangeAccount.id == TradePlan.account_id)
            .outerjoin(Source, Source.id == TradePlan.source_id)
            .where(TradePlan.user_id == user_id, TradePlan.status.in_(list(statuses)))
            .order_by(TradePlan.id.desc())
            .limit(limit)
        )
        return [(p, a, s) for p, a, s in (await self._session.execute(stmt)).all()]

    async def open_of_signal(self, signal_id: int) -> list[int]:
        rows = await self._session.scalars(
            select(TradePlan.id)
            .where(TradePlan.signal_id == signal_id, TradePlan.status.in_(WORKING))
            .order_by(TradePlan.id)
        )
        return list(rows)

    async def working_with_accounts(
        self, limit: int = 5000
    ) -> list[tuple[TradePlan, ExchangeAccount]]:
        """Plans with an order working or a position held, with their accounts."""
        rows = await self._session.execute(
            select(TradePlan, ExchangeAccount)
            .join(ExchangeAccount, ExchangeAccount.id == TradePlan.account_id)
            .where(TradePlan.status.in_([PlanStatus.OPEN, PlanStatus.ACTIVE]))
            .order_by(TradePlan.id)
            .limit(limit)
        )
        return [(plan, account) for plan, account in rows]

    async def legs_of(self, plan_ids: Sequence[int]) -> dict[int, list[PlanLeg]]:
        """The legs of many plans, by plan, in id order."""
        out: dict[int, list[PlanLeg]] = {plan_id: [] for plan_id in plan_ids}
        rows = await self._session.scalars(
            select(PlanLeg).where(PlanLeg.plan_id.in_(list(plan_ids))).order_by(PlanLeg.id)
        )
        for leg in rows:
            out[leg.plan_id].append(leg)
        return out

    async def working(self, limit: int = 1000) -> list[int]:
        rows = await self._session.scalars(
            select(TradePlan.id)
            .where(TradePlan.status.in_([PlanStatus.OPEN, PlanStatus.ACTIVE]))
            .order_by(TradePlan.id)
            .limit(limit)
        )
        return list(rows)

    async def with_planned_legs(self) -> list[int]:
        """Plans with a leg stored but maybe never sent (a crash between store and send)."""
        rows = await self._session.scalars(
            select(PlanLeg.plan_id)
            .join(TradePlan, TradePlan.id == PlanLeg.plan_id)
            .where(PlanLeg.status == LegStatus.PLANNED, TradePlan.status.in_(WORKING))
            .distinct()
        )
        return sorted(rows)

    async def legs_with_orders(self, limit: int = 2000) -> list[tuple[PlanLeg, Order]]:
        """Legs of plans not ended that may have news from their order: waiting legs, legs
        whose order filled more than the leg knows, cancelled legs whose order still rests
        (a lost cancel). The caller decides what is news."""
        stmt = (
            select(PlanLeg, Order)
            .join(Order, Order.client_order_id == PlanLeg.client_order_id)
            .join(TradePlan, TradePlan.id == PlanLeg.plan_id)
            .where(
                TradePlan.status.in_(NOT_FINAL),
                or_(
                    PlanLeg.status.in_([LegStatus.PLANNED, LegStatus.PLACED]),
                    Order.filled > PlanLeg.filled,
                    and_(PlanLeg.status == LegStatus.CANCELLED, Order.status.in_(RESTING)),
                ),
            )
            .order_by(PlanLeg.plan_id, PlanLeg.id)
            .limit(limit)
        )
        return [(leg, order) for leg, order in (await self._session.execute(stmt)).all()]

    async def working_of_user(self, user_id: int) -> list[int]:
        rows = await self._session.scalars(
            select(TradePlan.id)
            .where(TradePlan.user_id == user_id, TradePlan.status.in_(WORKING))
            .order_by(TradePlan.id)
        )
        return list(rows)

    # -- the same reads for many followers at once (a signal's batch) ----------------------------

    async def of_signal(self, signal_id: int, user_ids: Sequence[int]) -> dict[int, TradePlan]:
        """The plans of ``signal_id`` of these users, by user."""
        rows = await self._session.scalars(
            select(TradePlan).where(
                TradePlan.signal_id == signal_id, TradePlan.user_id.in_(list(user_ids))
            )
        )
        return {row.user_id: row for row in rows}

    async def paper_accounts(
        self, user_ids: Sequence[int], market_type: MarketType
    ) -> dict[int, ExchangeAccount]:
        """Each user's active paper account of ``market_type``."""
        rows = await self._session.scalars(
            select(ExchangeAccount).where(
                ExchangeAccount.user_id.in_(list(user_ids)),
                ExchangeAccount.is_paper.is_(True),
                ExchangeAccount.is_active.is_(True),
                ExchangeAccount.market_type == market_type,
            )
        )
        return {row.user_id: row for row in rows}

    async def accounts_by_id(self, account_ids: Sequence[int]) -> dict[int, ExchangeAccount]:
        """The accounts with these ids (any owner, active or not: the caller checks)."""
        rows = await self._session.scalars(
            select(ExchangeAccount).where(ExchangeAccount.id.in_(list(account_ids)))
        )
        return {row.id: row for row in rows}

    async def orders_by_id(self, order_ids: Sequence[int]) -> dict[int, Order]:
        """The orders with these ids, locked on PostgreSQL (a batch records its answers)."""
        stmt = select(Order).where(Order.id.in_(list(order_ids)))
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return {row.id: row for row in await self._session.scalars(stmt)}

    async def legs_by_client_id(self, client_ids: Sequence[str]) -> dict[str, PlanLeg]:
        """The legs with these client order ids."""
        rows = await self._session.scalars(
            select(PlanLeg).where(PlanLeg.client_order_id.in_(list(client_ids)))
        )
        return {row.client_order_id: row for row in rows}

    async def exposure_many(self, user_ids: Sequence[int], base: str) -> dict[int, Decimal]:
        """``exposure`` for each user."""
        rows = await self._session.execute(
            select(
                TradePlan.user_id,
                TradePlan.quantity,
                TradePlan.filled_qty,
                TradePlan.closed_qty,
                TradePlan.avg_entry,
                TradePlan.entry_high,
                TradePlan.entry_low,
            ).where(
                TradePlan.user_id.in_(list(user_ids)),
                TradePlan.status.in_(WORKING),
                TradePlan.symbol.like(f"{base}/%"),
            )
        )
        out = dict.fromkeys(user_ids, Decimal(0))
        for user_id, quantity, filled, closed, avg, high, low in rows:
            price = avg or high or low or Decimal(0)
            out[user_id] += (max(quantity, filled) - closed) * price
        return out

    async def realized_since_many(
        self, user_ids: Sequence[int], since: datetime
    ) -> dict[int, Decimal]:
        """``realized_since`` for each user."""
        rows = await self._session.execute(
            select(TradePlan.user_id, func.sum(TradePlan.realized_pnl))
            .where(
                TradePlan.user_id.in_(list(user_ids)),
                TradePlan.closed_at.is_not(None),
                TradePlan.closed_at >= since,
            )
            .group_by(TradePlan.user_id)
        )
        out = dict.fromkeys(user_ids, Decimal(0))
        for user_id, total in rows:
            out[user_id] = Decimal(str(total or 0))
        return out

    async def duplicates_many(
        self,
        user_ids: Sequence[int],
        base: str,
        side: Side,
        source_id: int | None,
        since: datetime,
    ) -> set[int]:
        """The users with a ``duplicate`` plan."""
        stmt = select(TradePlan.user_id).where(
            TradePlan.user_id.in_(list(user_ids)),
            TradePlan.side == side,
            TradePlan.symbol.like(f"{base}/%"),
            TradePlan.status.in_(WORKING),
            TradePlan.created_at >= since,
        )
        if source_id is not None:
            stmt = stmt.where(or_(TradePlan.source_id.is_(None), TradePlan.source_id != source_id))
        return set(await self._session.scalars(stmt))
