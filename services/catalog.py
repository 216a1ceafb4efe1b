"""Paged reads the REST API needs beyond the chat's (issue 12): signals by filter and cursor,
and users by cursor for admins (the admin tools' own reads are ``services.admin``).

Who sees what is the chat's rule (``services.signals.access.may_read``, ``sources.can_see``):
a page is filled from newest to oldest with the signals the viewer may read, so someone else's
private signal is never in it, and a cursor is the last id a page scanned (a page may come back
short, never wrong). Admin reads check the role here as well as at the door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Signal, Source, User
from core.db.repositories.outcomes import OutcomeRepository
from core.db.session import Database
from core.domain import Role, SignalStatus
from core.errors import Forbidden, NotFound, UserError
from services.dto import UserView
from services.signal_dto import SignalView
from services.signals.access import may_read
from services.signals.views import to_signal_view
from services.tracking.dto import OutcomeView, view_of_row
from services.users import to_view

MAX_PAGE: Final = 100
SCAN_ROUNDS: Final = 5  # batches read to fill one page before it is returned short


@dataclass(frozen=True, slots=True)
class SignalRow:
    signal: SignalView
    posted_at: datetime
    outcome: OutcomeView | None  # the price outcome, when tracked


@dataclass(frozen=True, slots=True)
class SignalFilter:
    source_id: int | None = None
    status: SignalStatus | None = None
    pair: str | None = None  # BTC or BTC/USDT


def _pair_filter(query: Select[Signal], pair: str) -> Select[Signal]:
    base, _, quote = pair.strip().upper().partition("/")
    if not base.isalnum() or (quote and not quote.isalnum()):
        raise UserError("A pair is like BTC or BTC/USDT.")
    query = query.where(Signal.base == base)
    return query.where(Signal.quote == quote) if quote else query


class Catalog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def signals(
        self, viewer: UserView, filters: SignalFilter, *, before: int | None, limit: int
    ) -> tuple[list[SignalRow], int | None]:
        """Newest first, below id ``before``; (rows, the cursor of the next page or None)."""
        limit = max(1, min(limit, MAX_PAGE))
        query = select(Signal).order_by(Signal.id.desc())
        if filters.source_id is not None:
            query = query.where(Signal.source_id == filters.source_id)
        if filters.status is not None:
            query = query.where(Signal.status == filters.status)
        if filters.pair:
            query = _pair_filter(query, filters.pair)
        rows: list[SignalRow] = []
        cursor = before
        async with self._db.session() as session:
            for _ in range(SCAN_ROUNDS):
                page = query if cursor is None else query.where(Signal.id < cursor)
                batch = list(await session.scalars(page.limit(limit * 2)))
                if not batch:
                    return rows, None
                sources = await self._sources(session, batch)
                outcomes = await OutcomeRepository(session).of_signals([s.id for s in batch])
                for signal in batch:
                    cursor = signal.id
                    source = sources.get(signal.source_id or 0)
                    if not may_read(viewer, signal, source):
                        continue
                    price = outcomes.get((signal.id, "price"))
                    rows.append(
                        SignalRow(
                            signal=to_signal_view(signal, source),
                            posted_at=signal.posted_at or signal.first_seen_at,
                            outcome=view_of_row(price) if price is not None else None,
                        )
                    )
                    if len(rows) == limit:
                        return rows, cursor
        return rows, cursor

    async def posted_at(self, signal_id: int) -> datetime:
        """When the signal was posted (first seen, for a post without a date); call it after
        the caller may see the signal."""
        async with self._db.session() as session:
            signal = await session.get(Signal, signal_id)
        if signal is None:
            raise NotFound(f"No signal #{signal_id}.")
        return signal.posted_at or signal.first_seen_at

    @staticmethod
    async def _sources(session: AsyncSession, batch: list[Signal]) -> dict[int, Source]:
        ids = {s.source_id for s in batch if s.source_id is not None}
        if not ids:
            return {}
        found = await session.scalars(select(Source).where(Source.id.in_(ids)))
        return {s.id: s for s in found}

    async def users(
        self, actor: UserView, *, after: int | None, limit: int, query: str | None = None
    ) -> tuple[list[UserView], int | None]:
        """Users by id for an admin; ``query`` matches a username or the Telegram id."""
        if actor.role is not Role.ADMIN:
            raise Forbidden()
        limit = max(1, min(limit, MAX_PAGE))
        stmt = select(User).order_by(User.id)
        if after is not None:
            stmt = stmt.where(User.id > after)
        if query:
            text = query.strip().lstrip("@")[:64]
            if text.isdigit():
                stmt = stmt.where(User.telegram_id == int(text))
            else:
                name = func.lower(User.username)
                stmt = stmt.where(name.contains(text.lower(), autoescape=True))
        async with self._db.session() as session:
            found = list(await session.scalars(stmt.limit(limit + 1)))
        views = [to_view(u) for u in found[:limit]]
        return views, (views[-1].id if len(found) > limit else None)
