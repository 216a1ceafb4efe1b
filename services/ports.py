"""Ports: the small protocols services need from the outside world.

The clock is ``core.clock.Clock`` with ``utc_now`` (the ORM's column defaults use it too, so it
lives in ``core``); import it from there.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Notifier"]


class Notifier(Protocol):
    """Queue a message for a chat; the bot's outbox sender delivers it within Telegram's limits."""

    async def notify(
        self,
        chat_id: int,
        html: str,
        *,
        dedupe_key: str | None = None,
        buttons: list[list[dict[str, Any]]] | None = None,
        user_id: int | None = None,
    ) -> int:
        """Return how many outbox rows were queued (0 when ``dedupe_key`` was seen)."""
        ...
