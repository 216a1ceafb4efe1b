"""Exchange accounts and their encrypted secrets."""

from __future__ import annotations

from sqlalchemy import select

from core.db.models import ExchangeAccount
from core.db.repositories.base import Repository


class AccountRepository(Repository):
    async def add(self, account: ExchangeAccount) -> ExchangeAccount:
        self._session.add(account)
        await self._session.flush()
        return account

    async def get(self, account_id: int) -> ExchangeAccount | None:
        return await self._session.get(ExchangeAccount, account_id)

    async def for_user(self, user_id: int, *, active_only: bool = True) -> list[ExchangeAccount]:
        stmt = select(ExchangeAccount).where(ExchangeAccount.user_id == user_id)
        if active_only:
            stmt = stmt.where(ExchangeAccount.is_active.is_(True))
        return list(await self._session.scalars(stmt.order_by(ExchangeAccount.id)))

    async def by_label(self, user_id: int, label: str) -> ExchangeAccount | None:
        return await self._session.scalar(
            select(ExchangeAccount).where(
                ExchangeAccount.user_id == user_id, ExchangeAccount.label == label
            )
        )

    async def with_secrets_for_update(self) -> list[ExchangeAccount]:
        """Every account holding encrypted material, locked for a key rotation."""
        stmt = select(ExchangeAccount).where(ExchangeAccount.api_key_enc.is_not(None))
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return list(await self._session.scalars(stmt.order_by(ExchangeAccount.id)))

    async def delete(self, account: ExchangeAccount) -> None:
        await self._session.delete(account)
