"""Binds update/user/chat ids to the log context, times and counts every update."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update

from core.metrics import Metrics

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ContextMiddleware(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        # labelled children, looked up once: labels() validates and locks on every call
        self._counted: dict[tuple[str, str], Any] = {}
        self._timed: dict[str, Any] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        update_type = event.event_type
        user = data.get("event_from_user")
        chat = data.get("event_chat")
        # every update runs in a fresh task context or after the clear below: nothing to clear
        structlog.contextvars.bind_contextvars(
            update_id=event.update_id,
            user_id=user.id if user else None,
            chat_id=chat.id if chat else None,
        )
        data["update_id"] = event.update_id
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            elapsed = time.perf_counter() - started
            counter = self._counted.get((update_type, outcome))
            if counter is None:
                counter = self._metrics.updates.labels(update_type, outcome)
                self._counted[update_type, outcome] = counter
            counter.inc()
            timer = self._timed.get(update_type)
            if timer is None:
                timer = self._timed[update_type] = self._metrics.update_seconds.labels(update_type)
            timer.observe(elapsed)
            structlog.contextvars.clear_contextvars()
