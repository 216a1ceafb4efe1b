"""Paper perpetual positions: one ``PerpPosition`` row per (account, symbol), kept at size 0
between trades so the symbol's leverage setting stays. No commits here (the engine owns the
transaction).

An open position has a side; a flat one has none (``size`` is 0): queries select on the side,
as money columns are text on SQLite and do not compare as numbers there."""

from __future__ import annotations

from sqlalchemy import select

from core.db.models import PerpPosition
from core.db.repositories.base import Repository


class PerpPositionRepository(Repository):
    async def for_update(self, account_id: int, symbol: str) -> PerpPosition:
        """The (account, symbol) row, created flat at 1x when missing, locked for this
        transaction (PostgreSQL)."""
        await self.insert_ignore(
            PerpPosition, {"account_id": account_id, "symbol": symbol}, ["account_id", "symbol"]
        )
        stmt = select(PerpPosition).where(
            PerpPosition.account_id == account_id, PerpPosition.symbol == symbol
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = await self._session.scalar(stmt)
        assert row is not None  # just inserted or already there
        return row

    async def locked(self, position_id: int) -> PerpPosition | None:
        stmt = select(PerpPosition).where(PerpPosition.id == position_id)
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return await self._session.scalar(stmt)

    async def for_account(self, account_id: int) -> list[PerpPosition]:
        """The account's open positions (those with a side), by symbol."""
        stmt = (
            select(PerpPosition)
            .where(PerpPosition.account_id == account_id, PerpPosition.side.is_not(None))
            .order_by(PerpPosition.symbol)
        )
        return list(await self._session.scalars(stmt))

    async def open_positions(self, limit: int = 1000) -> list[PerpPosition]:
        """Every open paper perp position (the liquidation pass)."""
        stmt = select(PerpPosition).where(PerpPosition.side.is_not(None)).order_by(PerpPosition.id)
        return list(await self._session.scalars(stmt.limit(limit)))
