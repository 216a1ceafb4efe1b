"""Bot-wide flags (``BotFlag`` rows keyed by name, e.g. ``maintenance``): read by every process
from the database, changed by admins (the service audits each change)."""

from __future__ import annotations

from typing import Any

from core.db.models import BotFlag
from core.db.repositories.base import Repository


class FlagRepository(Repository):
    async def get(self, key: str) -> dict[str, Any] | None:
        """The flag's value, or None when it was never set."""
        row = await self._session.get(BotFlag, key)
        return None if row is None else dict(row.value)

    async def put(self, key: str, value: dict[str, Any], *, by_user_id: int | None) -> None:
        """Set the flag (created on first use)."""
        row = await self._session.get(BotFlag, key)
        if row is None:
            self._session.add(BotFlag(key=key, value=value, updated_by_user_id=by_user_id))
        else:
            row.value = value
            row.updated_by_user_id = by_user_id
        await self._session.flush()
