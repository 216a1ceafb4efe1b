"""Signals and their events: one row per post, unique on (chat id, message id)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from core.db.models import Signal, SignalEvent
from core.db.repositories.base import Repository
from core.domain import SignalKind, SignalStatus


class SignalRepository(Repository):
    async def get(self, signal_id: int) -> Signal | None:
        return await self._session.get(Signal, signal_id)

    async def get_for_update(self, signal_id: int) -> Signal | None:
        stmt = select(Signal).where(Signal.id == signal_id)
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return await self._session.scalar(stmt)

    async def by_post(self, chat_id: int, message_id: int) -> Signal | None:
        return await self._session.scalar(
            select(Signal).where(Signal.chat_id == chat_id, Signal.message_id == message_id)
        )

    async def add_if_absent(self, values: dict[str, Any]) -> tuple[Signal, bool]:
        """Insert the post unless (chat_id, message_id) is stored; return it and if it is new."""
        new_id = await self.insert_ignore(Signal, values, conflict=["chat_id", "message_id"])
        signal = await self.by_post(values["chat_id"], values["message_id"])
        assert signal is not None  # inserted or already there
        return signal, new_id is not None

    async def open_by_base(self, source_id: int, base: str) -> list[Signal]:
        """The source's open (active) tracked entry signals on ``base``."""
        stmt = select(Signal).where(
            Signal.source_id == source_id,
            Signal.is_tracked.is_(True),
            Signal.kind == SignalKind.ENTRY,
            Signal.status == SignalStatus.ACTIVE,
            Signal.base == base,
        )
        return list(await self._session.scalars(stmt))

    async def recent_of_sources(self, source_ids: Sequence[int], limit: int) -> list[Signal]:
        if not source_ids:
            return []
        stmt = (
            select(Signal)
            .where(
                Signal.source_id.in_(source_ids),
                Signal.is_tracked.is_(True),
                Signal.status.not_in([SignalStatus.HELD, SignalStatus.PENDING]),
                Signal.status != SignalStatus.IGNORED,
            )
            .order_by(Signal.id.desc())
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))


class SignalEventRepository(Repository):
    async def add_if_absent(self, values: dict[str, Any]) -> tuple[SignalEvent, bool]:
        """Insert unless (chat_id, message_id, kind, version) is stored."""
        new_id = await self.insert_ignore(
            SignalEvent, values, conflict=["chat_id", "message_id", "kind", "version"]
        )
        event = await self._session.scalar(
            select(SignalEvent).where(
                SignalEvent.chat_id == values["chat_id"],
                SignalEvent.message_id == values["message_id"],
                SignalEvent.kind == values["kind"],
                SignalEvent.version == values.get("version", 0),
            )
        )
        assert event is not None  # inserted or already there
        return event, new_id is not None

    async def by_post(self, chat_id: int, message_id: int) -> SignalEvent | None:
        """The first event stored for a post (to follow a reply to an update post)."""
        return await self._session.scalar(
            select(SignalEvent)
            .where(SignalEvent.chat_id == chat_id, SignalEvent.message_id == message_id)
            .order_by(SignalEvent.id)
            .limit(1)
        )

    async def of_signal(self, signal_id: int, limit: int = 50) -> list[SignalEvent]:
        stmt = (
            select(SignalEvent)
            .where(SignalEvent.signal_id == signal_id)
            .order_by(SignalEvent.id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))
