"""Ports: the small protocols services need from the outside world."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol


class Clock(Protocol):
    def __call__(self) -> datetime: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


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


ClockFn = Callable[[], datetime]
