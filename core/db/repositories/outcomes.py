"""Tracked outcomes: which signals the tracker still owes a pass, their stored outcomes, the
channel updates it applies, and the rows the scores are computed from.

A signal is due while it has no final outcome of either kind ("price", "followed"). Only
entry signals with a side that went live (not pending, held or ignored) are tracked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import and_, exists, func, or_, select

from core.db.models import Signal, SignalEvent, SignalOutcome, Source
from core.db.repositories.base import Repository
from core.domain import SignalKind, SignalStatus

KINDS: Final = ("price", "followed")
OPEN: Final = "open"
NOT_TRACKED: Final = (SignalStatus.PENDING, SignalStatus.HELD, SignalStatus.IGNORED)
MOVE_KINDS: Final = ("move_sl", "close", "partial_close", "cancel", "sl_hit")


class OutcomeRepository(Repository):
    async def due(self, limit: int, after_id: int = 0) -> list[Signal]:
        """Tracked signals (id > ``after_id``, by id) still missing a final outcome."""
        final = SignalOutcome.result != OPEN
        missing = [
            ~exists().where(
                SignalOutcome.signal_id == Signal.id, SignalOutcome.kind == kind, final
            )
            for kind in KINDS
        ]
        stmt = (
            select(Signal)
            .where(
                Signal.id > after_id,
                Signal.kind == SignalKind.ENTRY,
                Signal.side.is_not(None),
                Signal.base.is_not(None),
                Signal.status.not_in(NOT_TRACKED),
                or_(*missing),
            )
            .order_by(Signal.id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))

    async def of_signals(self, signal_ids: Sequence[int]) -> dict[tuple[int, str], SignalOutcome]:
        if not signal_ids:
            return {}
        rows = await self._session.scalars(
            select(SignalOutcome).where(SignalOutcome.signal_id.in_(list(signal_ids)))
        )
        return {(row.signal_id, row.kind): row for row in rows}

    async def moves(self, signal_ids: Sequence[int]) -> dict[int, list[SignalEvent]]:
        """The channel's updates that move, close or cancel, per signal, in arrival order."""
        out: dict[int, list[SignalEvent]] = {}
        if not signal_ids:
            return out
        rows = await self._session.scalars(
            select(SignalEvent)
            .where(SignalEvent.signal_id.in_(list(signal_ids)), SignalEvent.kind.in_(MOVE_KINDS))
            .order_by(SignalEvent.created_at, SignalEvent.id)
        )
        for row in rows:
            assert row.signal_id is not None  # filtered above
            out.setdefault(row.signal_id, []).append(row)
        return out

    async def save(self, existing: SignalOutcome | None, values: dict[str, Any]) -> None:
        if existing is None:
            self._session.add(SignalOutcome(**values))
            return
        for key, value in values.items():
            setattr(existing, key, value)

    async def scored(
        self, source_ids: Sequence[int] | None, since: datetime | None
    ) -> list[tuple[SignalOutcome, int, int]]:
        """Price outcomes (of ``source_ids``, or of every source), posted since ``since``, each
        with the channel's TP claims: (outcome, highest target claimed hit, claim posts)."""
        claimed = (
            select(
                SignalEvent.signal_id.label("signal_id"),
                func.max(func.coalesce(SignalEvent.target_index, 1)).label("highest"),
                func.count().label("posts"),
            )
            .where(SignalEvent.kind == "tp_hit", SignalEvent.signal_id.is_not(None))
            .group_by(SignalEvent.signal_id)
            .subquery()
        )
        conditions = [SignalOutcome.kind == "price", SignalOutcome.source_id.is_not(None)]
        if source_ids is not None:
            conditions.append(SignalOutcome.source_id.in_(list(source_ids)))
        if since is not None:
            conditions.append(SignalOutcome.posted_at >= since)
        rows = await self._session.execute(
            select(SignalOutcome, claimed.c.highest, claimed.c.posts)
            .outerjoin(claimed, claimed.c.signal_id == SignalOutcome.signal_id)
            .where(and_(*conditions))
            .order_by(SignalOutcome.posted_at, SignalOutcome.id)
        )
        return [(row, int(highest or 0), int(posts or 0)) for row, highest, posts in rows]

    async def sources(self, source_ids: Sequence[int]) -> dict[int, Source]:
        if not source_ids:
            return {}
        rows = await self._session.scalars(select(Source).where(Source.id.in_(list(source_ids))))
        return {row.id: row for row in rows}
