"""Signals first (threat T14): while a channel post is handled, other updates wait to start.

A channel post becomes orders for every auto follower; a chat message asks a price or a
balance. On one event loop they share the CPU, so 100 chat updates a second stretched the
post's way to its orders about 1.8x (docs/RELIABILITY.md, T14). This outer middleware (the
second, before any work: the receiving path has stored the update in the inbox already, so a
wait here loses nothing) lets a channel post or its edit run at once, and makes any
other update that arrives while one runs wait until none does, at most ``max_wait_s``: a
flood of channel posts can delay a chat message by that much, never starve it. Updates
already running are not interrupted. The gate is per process (each process has its own loop
to protect).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

MAX_WAIT_S: Final = 2.0


class SignalPriorityMiddleware(BaseMiddleware):
    """Channel posts run at once; other updates start once no channel post is running."""

    def __init__(self, max_wait_s: float = MAX_WAIT_S) -> None:
        self._max_wait_s = max_wait_s
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and (event.channel_post or event.edited_channel_post):
            self._running += 1
            self._idle.clear()
            try:
                return await handler(event, data)
            finally:
                self._running -= 1
                if self._running == 0:
                    self._idle.set()
        if not self._idle.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self._max_wait_s)
        return await handler(event, data)
