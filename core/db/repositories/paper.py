"""Paper balances: one row per (account, asset); the paper exchange's ledger."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.db.models import PaperBalance
from core.db.repositories.base import Repository


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
        """The row, created empty when missing, locked for this transaction (PostgreSQL)."""
        await self.credit_once(account_id, asset, Decimal(0))
        stmt = select(PaperBalance).where(
            PaperBalance.account_id == account_id, PaperBalance.asset == asset
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = await self._session.scalar(stmt)
        assert row is not None  # just inserted or already there
        return row

    async def for_account(self, account_id: int) -> list[PaperBalance]:
        stmt = (
            select(PaperBalance)
            .where(PaperBalance.account_id == account_id)
            .order_by(PaperBalance.asset)
        )
        return list(await self._session.scalars(stmt))
