"""The sources as admins manage them (``/sources`` for an admin, and its buttons): every source
with its owner and state, and approve, pause, resume, remove.

States: *pending approval* (active, not approved: only its owner and invitees see it),
*active* (approved), *paused* (approved, not read until resumed) and *removed* (not read, and
its approval withdrawn: users no longer see it; its signals and scores are kept). An action
that changes nothing says so and writes no audit entry; approving goes through
``SourceService.approve`` (which tells the owner).
"""

from __future__ import annotations

from typing import Final, Literal

from sqlalchemy import select

from core.db.models import Source, User
from core.db.repositories.audit import AuditRepository
from core.db.repositories.sources import SourceRepository
from core.db.session import Database
from core.errors import NotFound
from services.admin.dto import SourceRow
from services.admin.users import require_admin
from services.dto import UserView
from services.sources import NO_SUCH_SOURCE, SourceService, to_source_view
from services.users import to_view

SourceAction = Literal["approve", "pause", "resume", "remove"]
MAX_SOURCES: Final = 1000


def state_of(source: Source) -> str:
    if source.is_active:
        return "active" if source.approved else "pending approval"
    return "paused" if source.approved else "removed"


# the state each action leads to (approve leaves the reading as it is)
_TARGET: Final[dict[str, tuple[bool | None, bool | None]]] = {
    # action: (is_active, approved); None keeps the field
    "approve": (None, True),
    "pause": (False, None),
    "resume": (True, None),
    "remove": (False, False),
}


class AdminSourceService:
    def __init__(self, db: Database, sources: SourceService) -> None:
        self._db = db
        self._sources = sources

    async def overview(self, actor: UserView | None) -> list[SourceRow]:
        require_admin(actor)
        async with self._db.session() as session:
            repo = SourceRepository(session)
            sources = await repo.list_all(limit=MAX_SOURCES)
            counts = await repo.counts([s.id for s in sources])
            owner_ids = {s.owner_user_id for s in sources if s.owner_user_id is not None}
            owners = {
                u.id: u for u in await session.scalars(select(User).where(User.id.in_(owner_ids)))
            }
            rows = []
            for source in sources:
                owner = owners.get(source.owner_user_id) if source.owner_user_id else None
                view = to_source_view(
                    source,
                    owner.telegram_id if owner else None,
                    counts.get(source.id, (0, 0)),
                )
                name = to_view(owner).display_name if owner else None
                rows.append(SourceRow(view, name, state_of(source)))
            return rows

    async def act(
        self, actor: UserView | None, source_id: int, action: SourceAction
    ) -> tuple[SourceRow, bool]:
        """Apply ``action``; returns the source as it is now and whether anything changed.
        NotFound for an unknown source."""
        admin = require_admin(actor)
        active, approved = _TARGET[action]
        async with self._db.transaction() as session:
            source = await SourceRepository(session).get(source_id)
            if source is None:
                raise NotFound(NO_SUCH_SOURCE)
            unchanged = (active is None or source.is_active == active) and (
                approved is None or source.approved == approved
            )
            if not unchanged and action != "approve":
                before = state_of(source)
                if active is not None:
                    source.is_active = active
                if approved is not None:
                    source.approved = approved
                await AuditRepository(session).add(
                    f"source_{'resumed' if action == 'resume' else action + 'd'}",
                    actor_user_id=admin.id,
                    target=str(source.chat_id),
                    details={
                        "name": to_source_view(source).name,
                        "from": before,
                        "to": state_of(source),
                    },
                )
        if not unchanged and action == "approve":
            await self._sources.approve(admin, str(source_id))  # audited there, owner told
        return await self._row(source_id), not unchanged

    async def _row(self, source_id: int) -> SourceRow:
        async with self._db.session() as session:
            source = await SourceRepository(session).get(source_id)
            if source is None:
                raise NotFound(NO_SUCH_SOURCE)
            owner = await session.get(User, source.owner_user_id) if source.owner_user_id else None
            return SourceRow(
                to_source_view(source, owner.telegram_id if owner else None),
                to_view(owner).display_name if owner else None,
                state_of(source),
            )
