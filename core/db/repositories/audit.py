"""Audit entries: every privileged action, appended, never edited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db.models import AuditEntry
from core.db.repositories.base import Repository


class AuditRepository(Repository):
    async def add(
        self,
        action: str,
        *,
        actor_user_id: int | None,
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            action=action, actor_user_id=actor_user_id, target=target, details=details or {}
        )
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return list(await self._session.scalars(stmt))
