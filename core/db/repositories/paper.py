"""Paper balances (one row per (account, asset): the paper exchange's ledger) and the paper
exchanges' queries over the order rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from core.db.models import ExchangeAccount, Order, PaperBalance
from core.db.repositories.base import Repository
from core.domain import MarketType, OrderStatus

RESTING_STATUSES: Final = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)
# session.info key of balance rows locked up front by ``lock_many`` for a batch of fills
_LOCKED: Final = "paper_balances_locked"


class PaperBalanceRepository(Repository):
    async def credit_once(self, account_id: int, asset: str, amount: Decimal) -> bool:
        """Create the (account, asset) row holding ``amount`` unless it exists; True if new."""
        new_id = await self.insert_ignore(
            PaperBalance,
            {"account_id": account_id, "asset": asset, "free": amount, "used": Decimal(0)},
            ["account_id", "asset"],
        )
        return new_id is not None

    async def for_update(self, account_id: int, asset: str) -> PaperBalance:
        """The row, created empty when missing, locked for this transaction (PostgreSQL).
        Rows ``lock_many`` locked in this transaction are answered without a query."""
        locked: dict[tuple[int, str], PaperBalance] | None = self._session.info.get(_LOCKED)
        if locked is not None and (account_id, asset) in locked:
            return locked[(account_id, asset)]
        await self.credit_once(account_id, asset, Decimal(0))
        stmt = select(PaperBalance).where(
            PaperBalance.account_id == account_id, PaperBalance.asset == asset
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = await self._session.scalar(stmt)
        assert row is not None  # just inserted or already there
        return row

    async def lock_many(self, pairs: set[tuple[int, str]]) -> None:
        """Create the missing (account, asset) rows empty and lock them all, in id order (two
        batches never deadlock), for the rest of this transaction: a batch of fills then
        reads its balances without a query per order."""
        if not pairs:
            return
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        await self._session.execute(
            insert(PaperBalance)
            .values(
                [
                    {"account_id": a, "asset": asset, "free": Decimal(0), "used": Decimal(0)}
                    for a, asset in sorted(pairs)
                ]
            )
            .on_conflict_do_nothing(index_elements=["account_id", "asset"])
        )
        stmt = (
            select(PaperBalance)
            .where(tuple_(PaperBalance.account_id, PaperBalance.asset).in_(sorted(pairs)))
            .order_by(PaperBalance.id)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        rows = await self._session.scalars(stmt)
        locked = self._session.info.setdefault(_LOCKED, {})
        for row in rows:
            locked[(row.account_id, row.asset)] = row

    async def free_of(self, account_ids: list[int], asset: str) -> dict[int, Decimal]:
        """The free ``asset`` of each account (0 when it has no row), in one query."""
        if not account_ids:
            return {}
        rows = await self._session.execute(
            select(PaperBalance.account_id, PaperBalance.free).where(
                PaperBalance.account_id.in_(account_ids), PaperBalance.asset == asset
            )
        )
        found = {account_id: free for account_id, free in rows}
        return {account_id: found.get(account_id, Decimal(0)) for account_id in account_ids}

    async def for_account(self, account_id: int) -> list[PaperBalance]:
        stmt = (
            select(PaperBalance)
            .where(PaperBalance.account_id == account_id)
            .order_by(PaperBalance.asset)
        )
        return list(await self._session.scalars(stmt))


class PaperOrderRepository(Repository):
    """The paper exchanges' view of the order rows (the rows are the paper orders)."""

    async def resting(self, market_type: MarketType, limit: int = 500) -> list[Order]:
        """Open paper orders (limit and stop orders waiting for the price) of the paper
        accounts trading ``market_type``, oldest first."""
        stmt = (
            select(Order)
            .join(ExchangeAccount, ExchangeAccount.id == Order.account_id)
            .where(
                ExchangeAccount.is_paper.is_(True),
                ExchangeAccount.market_type == market_type,
                Order.status.in_(RESTING_STATUSES),
            )
            .order_by(Order.id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))

    async def resting_reduce_only(self, account_id: int, symbol: str) -> list[Order]:
        """The account's resting reduce-only orders on ``symbol``."""
        stmt = select(Order).where(
            Order.account_id == account_id,
            Order.symbol == symbol,
            Order.reduce_only.is_(True),
            Order.status.in_(RESTING_STATUSES),
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return list(await self._session.scalars(stmt.order_by(Order.id)))

    async def count_client_prefix(self, prefix: str) -> int:
        """How many orders have a client order id starting with ``prefix``."""
        matching = Order.client_order_id.startswith(prefix, autoescape=True)
        stmt = select(func.count()).where(matching)
        return int(await self._session.scalar(stmt) or 0)
