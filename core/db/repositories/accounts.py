"""Exchange accounts and their encrypted secrets; the trading PIN hash on the user row."""

from __future__ import annotations

from sqlalchemy import exists, select, update

from core.db.models import ExchangeAccount, Order, User
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

    async def labels(self, user_id: int) -> set[str]:
        """Every label the user's accounts hold, active or not (labels are unique per user)."""
        stmt = select(ExchangeAccount.label).where(ExchangeAccount.user_id == user_id)
        return set(await self._session.scalars(stmt))

    async def has_orders(self, account_id: int) -> bool:
        return bool(
            await self._session.scalar(select(exists().where(Order.account_id == account_id)))
        )

    async def with_secrets_for_update(self) -> list[ExchangeAccount]:
        """Every account holding encrypted material, locked for a key rotation."""
        stmt = select(ExchangeAccount).where(ExchangeAccount.api_key_enc.is_not(None))
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return list(await self._session.scalars(stmt.order_by(ExchangeAccount.id)))

    async def delete(self, account: ExchangeAccount) -> None:
        await self._session.delete(account)

    # -- the trading PIN (argon2 hash on users.pin_hash) --------------------------------------

    async def pin_hash(self, user_id: int) -> str | None:
        return await self._session.scalar(select(User.pin_hash).where(User.id == user_id))

    async def set_pin_hash(self, user_id: int, pin_hash: str | None) -> bool:
        """Set (or with None clear) the user's PIN hash; False when the user does not exist."""
        result = await self._session.execute(
            update(User)
            .where(User.id == user_id)
            .values(pin_hash=pin_hash)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
