"""Presence (outer, after auth): note when each user was last seen, for the admins' /user and
/stats. The write is throttled per user inside ``AdminUserService.seen``; a failure to record
it is logged and never stops the update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from services.admin.service import AdminService
from services.dto import UserView

log = structlog.get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class PresenceMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: UserView | None = data.get("user")
        admin: AdminService | None = data.get("admin_service")
        if user is not None and admin is not None:
            try:
                await admin.users.seen(user)
            except Exception:  # presence is a nicety: the update goes on without it
                log.exception("presence_not_recorded")
        return await handler(event, data)
