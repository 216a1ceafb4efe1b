"""A heartbeat per source (threat T15): a channel the bot hears nothing from for hours has
usually lost the bot's admin right (or, in a group, privacy mode hides the posts), and its
followers would miss every signal without anyone noticing.

``seen`` records each post's time on its source (one guarded UPDATE: the latest wins, a late
redelivery never moves it back). ``report_silent`` finds the active sources silent for longer
than the limit (counted from their latest post, or from their registration when they never
posted) and tells the owner and the admins once per silence: the outbox dedupe key holds the
moment the silence began, so a new post and a new silence give a new note.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import func, or_, select, update

from core.clock import Clock, utc_now
from core.db.models import Source, User
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from services.notifications import enqueue
from services.signal_dto import SourceView
from services.sources import to_source_view

log = structlog.get_logger(__name__)

__all__ = ["HeartbeatMessages", "SourceHeartbeat"]


class HeartbeatMessages(Protocol):
    def source_silent(self, source: SourceView, hours: int, since: datetime) -> str: ...


class SourceHeartbeat:
    def __init__(
        self,
        db: Database,
        messages: HeartbeatMessages,
        silence: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._messages = messages
        self._silence = silence
        self._clock = clock

    async def seen(self, source_id: int, at: datetime | None) -> None:
        moment = at or self._clock()
        async with self._db.transaction() as session:
            await session.execute(
                update(Source)
                .where(
                    Source.id == source_id,
                    or_(Source.last_post_at.is_(None), Source.last_post_at < moment),
                )
                .values(last_post_at=moment)
            )

    async def report_silent(self) -> int:
        """Tell the owners and admins of sources silent too long; returns the notes queued."""
        now = self._clock()
        since = func.coalesce(Source.last_post_at, Source.created_at)
        told = 0
        async with self._db.transaction() as session:
            sources = list(
                await session.scalars(
                    select(Source)
                    .where(Source.is_active.is_(True), since < now - self._silence)
                    .order_by(Source.id)
                    .limit(200)
                )
            )
            if not sources:
                return 0
            admins = await UserRepository(session).active_admins()
            outbox = OutboxRepository(session)
            for source in sources:
                quiet_since = source.last_post_at or source.created_at
                hours = int((now - quiet_since).total_seconds() // 3600)
                html = self._messages.source_silent(to_source_view(source), hours, quiet_since)
                readers = {a.id: a for a in admins}
                if source.owner_user_id is not None and source.owner_user_id not in readers:
                    owner = await session.get(User, source.owner_user_id)
                    if owner is not None and owner.is_active and not owner.is_banned:
                        readers[owner.id] = owner
                for user in readers.values():
                    key = f"silent:{source.id}:{int(quiet_since.timestamp())}:{user.id}"
                    told += await enqueue(
                        outbox, user.telegram_id, html, dedupe_key=key, user_id=user.id
                    )
        if told:
            log.warning("sources_silent", notes=told)
        return told
