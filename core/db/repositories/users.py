"""Users: lookup by Telegram id, creation, roles, bans."""

from __future__ import annotations

from sqlalchemy import select, update

from core.db.models import User
from core.db.repositories.base import Repository
from core.domain import Role


class UserRepository(Repository):
    async def get(self, user_id: int) -> User | None:
        return await self._session.get(User, user_id)

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        return await self._session.scalar(select(User).where(User.telegram_id == telegram_id))

    async def get_or_create(
        self,
        telegram_id: int,
        *,
        username: str | None = None,
        first_name: str | None = None,
        role: Role = Role.TRADER,
    ) -> tuple[User, bool]:
        """Return the user and whether it was created by this call (race-safe)."""
        new_id = await self.insert_ignore(
            User,
            {
                "telegram_id": telegram_id,
                "username": username,
                "first_name": first_name,
                "role": role,
                "settings": {},
            },
            conflict=["telegram_id"],
        )
        user = await self.by_telegram_id(telegram_id)
        assert user is not None  # inserted or already there
        return user, new_id is not None

    async def set_banned(self, telegram_id: int, banned: bool) -> User | None:
        user = await self.by_telegram_id(telegram_id)
        if user is not None:
            user.is_banned = banned
        return user

    async def set_active(self, telegram_id: int, active: bool) -> None:
        await self._session.execute(
            update(User).where(User.telegram_id == telegram_id).values(is_active=active)
        )

    async def active_admins(self) -> list[User]:
        """The admins who can be told things: not banned, not blocking the bot."""
        stmt = select(User).where(
            User.role == Role.ADMIN, User.is_active.is_(True), User.is_banned.is_(False)
        )
        return list(await self._session.scalars(stmt.order_by(User.id)))

    async def list(self, *, role: Role | None = None, limit: int = 100) -> list[User]:
        stmt = select(User).order_by(User.id).limit(limit)
        if role is not None:
            stmt = stmt.where(User.role == role)
        return list(await self._session.scalars(stmt))
