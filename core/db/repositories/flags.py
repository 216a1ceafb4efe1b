"""Bot-wide flags (``BotFlag`` rows keyed by name, e.g. ``maintenance``): read by every process
from the database, changed by admins (the service audits each change)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from core.db.models import BotFlag
from core.db.repositories.base import Repository


class FlagRepository(Repository):
    async def get(self, key: str) -> dict[str, Any] | None:
        """The flag's value, or None when it was never set."""
        row = await self._session.get(BotFlag, key)
        return None if row is None else dict(row.value)

    async def put(self, key: str, value: dict[str, Any], *, by_user_id: int | None) -> None:
        """Set the flag (created on first use)."""
        changes = {"value": value, "updated_by_user_id": by_user_id}
        if await self._session.get(BotFlag, key) is None:
            self._session.add(BotFlag(key=key, **changes))
        else:
            await self._session.execute(update(BotFlag).where(BotFlag.key == key).values(changes))
        await self._session.flush()
