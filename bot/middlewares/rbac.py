"""RBAC (inner middleware): the handler's ``role`` flag decides; none declared = admins only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from core.metrics import Metrics
from core.permissions import role_allows
from handlers import render
from handlers.commands import PUBLIC
from services.dto import UserView

log = structlog.get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class RbacMiddleware(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        required = get_flag(data, "role")
        if required == PUBLIC:
            return await handler(event, data)
        user: UserView | None = data.get("user")
        if user is not None and role_allows(user.role, required):
            return await handler(event, data)
        role = user.role.value if user else "none"
        self._metrics.rbac_denied.labels(role).inc()
        log.warning("rbac_denied", required=str(required), role=role)
        await self._refuse(event, data)
        return None

    @staticmethod
    async def _refuse(event: TelegramObject, data: dict[str, Any]) -> None:
        if isinstance(event, CallbackQuery):
            await event.answer(render.not_allowed(None), show_alert=True)
        elif isinstance(event, Message) and event.chat.type == "private":
            command = data.get("command")
            await event.answer(render.not_allowed(getattr(command, "command", None)))
