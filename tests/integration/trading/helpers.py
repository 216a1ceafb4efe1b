"""Rows the trading tests need from other features' tables."""

from __future__ import annotations

from core.db.models import Signal
from core.db.session import Database


async def make_signal(db: Database, message_id: int = 1) -> int:
    """A bare signal row (orders reference signals by id)."""
    async with db.transaction() as session:
        signal = Signal(
            chat_id=-100123, message_id=message_id, raw_text="BTC long", text_sha256="0" * 64
        )
        session.add(signal)
        await session.flush()
        return signal.id
