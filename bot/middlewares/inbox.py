"""Inbox: store the raw update (unique ``update_id``) first; drop redeliveries; mark it done.

Runners that store a batch before acknowledging it (polling, webhook, recovery) pass
``inbox_claimed=True``: they already hold the row's lease. Anything else (the console, a direct
``feed_update``) is stored here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from core.metrics import Metrics
from services.inbox import InboxService, is_transient

log = structlog.get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def raw_json(update: Update) -> str:
    return update.model_dump_json(exclude_none=True, by_alias=True)


class InboxMiddleware(BaseMiddleware):
    def __init__(self, inbox: InboxService, metrics: Metrics) -> None:
        self._inbox = inbox
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if not data.pop("inbox_claimed", False) and not await self._inbox.store(
            event.update_id, raw_json(event)
        ):
            self._metrics.inbox_duplicates.inc()
            log.info("update_duplicate_dropped")
            return None
        self._inbox.started(event.update_id)  # its lease is renewed while the handler runs
        try:
            result = await handler(event, data)
        except Exception as exc:
            if is_transient(exc):
                # Redis, the database or an exchange away for a while: the row stays pending
                # and recovery runs it again after its lease (at most MAX_ATTEMPTS in all);
                # what it already did is not repeated (plans and orders are exactly-once)
                log.warning("update_deferred", error=type(exc).__name__)
            else:
                # The error router already answered the user; the row is failed, no loop.
                self._inbox.finish(event.update_id, error=f"{type(exc).__name__}")
            raise
        finally:
            self._inbox.ended(event.update_id)
        self._inbox.finish(event.update_id)
        return result
