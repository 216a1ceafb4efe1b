"""The audit trail read back in words (``/audit``): who did what to whom.

Entries are appended by the services that act (``AuditRepository.add``) and never changed or
deleted (``core.db.models_admin`` refuses it). Reading resolves the ids an entry holds to the
names they have now: the actor, a user target (held as their Telegram id) and a channel target
(held as its chat id, shown by @name); an entry written with the name at the time keeps it when
the row is gone.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import AuditEntry, Source, User
from core.db.repositories.audit import AuditRepository
from core.db.session import Database
from services.admin.dto import AuditLine
from services.admin.users import require_admin
from services.dto import UserView
from services.sources import to_source_view
from services.users import to_view

MAX_LINES: Final = 200
OPERATOR: Final = "the operator (CLI)"


def _int(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.lstrip("-").isdigit() and len(text) <= 20 else None


def _user_target(action: str) -> bool:
    return action.startswith(("role_", "user_"))


class AuditService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(self, actor: UserView | None, limit: int = 20) -> list[AuditLine]:
        """The latest ``limit`` entries, newest first."""
        require_admin(actor)
        async with self._db.session() as session:
            entries = await AuditRepository(session).recent(min(max(limit, 1), MAX_LINES))
            users = await _users_by(session, entries)
            sources = await _sources_by(session, entries)
        return [_line(e, users, sources) for e in entries]


async def _users_by(
    session: AsyncSession, entries: list[AuditEntry]
) -> dict[tuple[str, int], str]:
    """Names keyed ("id", user id) for actors and ("tg", telegram id) for user targets."""
    ids = {e.actor_user_id for e in entries if e.actor_user_id is not None}
    telegram_ids = {
        t for e in entries if _user_target(e.action) and (t := _int(e.target)) is not None
    }
    if not ids and not telegram_ids:
        return {}
    rows = await session.scalars(
        select(User).where(User.id.in_(ids) | User.telegram_id.in_(telegram_ids))
    )
    names: dict[tuple[str, int], str] = {}
    for user in rows:
        name = to_view(user).display_name
        names["id", user.id] = name
        names["tg", user.telegram_id] = name
    return names


async def _sources_by(session: AsyncSession, entries: list[AuditEntry]) -> dict[int, str]:
    chat_ids = {
        c for e in entries if e.action.startswith("source_") and (c := _int(e.target)) is not None
    }
    if not chat_ids:
        return {}
    rows = await session.scalars(select(Source).where(Source.chat_id.in_(chat_ids)))
    return {s.chat_id: to_source_view(s).name for s in rows}


def _line(
    entry: AuditEntry, users: dict[tuple[str, int], str], sources: dict[int, str]
) -> AuditLine:
    details: dict[str, Any] = dict(entry.details or {})
    actor = (
        OPERATOR
        if entry.actor_user_id is None
        else users.get(("id", entry.actor_user_id), f"user #{entry.actor_user_id}")
    )
    number = _int(entry.target)
    target = entry.target or ""
    remembered = str(details.pop("name", "") or "")
    if number is not None and _user_target(entry.action):
        name = users.get(("tg", number)) or remembered
        target = f"{name} ({number})" if name and name != str(number) else str(number)
    elif number is not None and entry.action.startswith("source_"):
        target = sources.get(number) or remembered or target
    return AuditLine(
        created_at=entry.created_at,
        actor=actor,
        action=entry.action,
        target=target,
        details={str(k): str(v) for k, v in details.items()},
    )
