"""Sources: the channels whose posts are read, unique on their chat id."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db.models import Signal, Source, Subscription
from core.db.repositories.base import Repository


class SourceRepository(Repository):
    async def get(self, source_id: int) -> Source | None:
        return await self._session.get(Source, source_id)

    async def by_chat_id(self, chat_id: int) -> Source | None:
        return await self._session.scalar(select(Source).where(Source.chat_id == chat_id))

    async def by_username(self, username: str) -> Source | None:
        return await self._session.scalar(
            select(Source).where(func.lower(Source.username) == username.lower())
        )

    async def ensure(self, chat_id: int, *, title: str | None, username: str | None) -> Source:
        """The source of ``chat_id``, created if absent (race-safe); title/username refreshed."""
        await self.insert_ignore(
            Source,
            {
                "chat_id": chat_id,
                "title": title,
                "username": username,
                "kind": "channel",
                "verified": False,
                "is_active": True,
            },
            conflict=["chat_id"],
        )
        source = await self.by_chat_id(chat_id)
        assert source is not None  # inserted or already there
        if title is not None:
            source.title = title[:256]
        if username is not None:
            source.username = username[:64]
        return source

    async def list_all(self, *, active_only: bool = False, limit: int = 100) -> list[Source]:
        stmt = select(Source).order_by(Source.id).limit(limit)
        if active_only:
            stmt = stmt.where(Source.is_active.is_(True))
        return list(await self._session.scalars(stmt))

    async def counts(self, source_ids: list[int]) -> dict[int, tuple[int, int]]:
        """(followers, tracked signals) per source id."""
        if not source_ids:
            return {}
        followers: dict[int, int] = {
            sid: n
            for sid, n in await self._session.execute(
                select(Subscription.source_id, func.count())
                .where(Subscription.source_id.in_(source_ids))
                .group_by(Subscription.source_id)
            )
        }
        signals: dict[int, int] = {
            sid: n
            for sid, n in await self._session.execute(
                select(Signal.source_id, func.count())
                .where(Signal.source_id.in_(source_ids), Signal.is_tracked.is_(True))
                .group_by(Signal.source_id)
            )
            if sid is not None
        }
        return {sid: (int(followers.get(sid, 0)), int(signals.get(sid, 0))) for sid in source_ids}
