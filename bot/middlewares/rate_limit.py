"""Per-user rate limit (GCRA, shared through Redis when set): one warning, not one per message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update

from core.cache import KeyValue, ceil_seconds
from core.metrics import Metrics
from services.dto import UserView

log = structlog.get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class RateLimitMiddleware(BaseMiddleware):
    def __init__(self, kv: KeyValue, per_minute: int, burst: int, metrics: Metrics) -> None:
        self._kv = kv
        self._rate = per_minute / 60.0
        self._burst = burst
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: UserView | None = data.get("user")
        if user is None:
            return await handler(event, data)
        decision = await self._kv.limiter.hit(
            f"user:{user.telegram_id}", rate=self._rate, burst=self._burst
        )
        if decision.allowed:
            return await handler(event, data)
        self._metrics.rate_limited.inc()
        wait = ceil_seconds(decision.retry_after)
        # One warning per over-limit streak: the flag lives as long as the user must wait.
        if await self._kv.cache.add_json(f"rl-warned:{user.telegram_id}", 1, wait + 1):
            log.info("rate_limited", retry_after=wait)
            await self._warn(event, data["bot"], user.telegram_id, wait)
        return None

    @staticmethod
    async def _warn(event: Update, bot: Bot, chat_id: int, wait: int) -> None:
        text = f"Slow down: too many messages. Try again in {wait} s."
        try:
            if event.callback_query is not None:
                await event.callback_query.answer(text, show_alert=True)
            else:
                await bot.send_message(chat_id, text)
        except TelegramAPIError as exc:
            log.info("rate_warning_failed", error=type(exc).__name__)
