"""Auth: load or create the user behind the update, enforce bans, inject ``data["user"]``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User

from core.clock import Clock, utc_now
from services.users import UserService

log = structlog.get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

BAN_NOTICE = "You are banned from using this bot. Contact an admin if this is a mistake."


class AuthMiddleware(BaseMiddleware):
    def __init__(
        self, users: UserService, ban_notice_interval_s: int, clock: Clock = utc_now
    ) -> None:
        self._users = users
        self._interval = ban_notice_interval_s
        self._clock = clock

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        from_user: User | None = data.get("event_from_user")
        from_channel = event.channel_post is not None or event.edited_channel_post is not None
        if from_user is None or from_user.is_bot or from_channel:
            # channel posts and anonymous admins: no user; handlers that need one are refused
            data["user"] = None
            return await handler(event, data)
        user, created = await self._users.resolve(
            from_user.id, from_user.username, from_user.first_name
        )
        if user.is_banned:
            log.info("banned_user_dropped")
            if await self._users.should_notify_ban(user.id, self._clock(), self._interval):
                await self._notice(data, from_user.id)
            return None
        structlog.contextvars.bind_contextvars(role=user.role.value)
        data["user"] = user
        data["user_created"] = created
        return await handler(event, data)

    @staticmethod
    async def _notice(data: dict[str, Any], chat_id: int) -> None:
        bot: Bot = data["bot"]
        try:
            await bot.send_message(chat_id, BAN_NOTICE)
        except TelegramAPIError as exc:
            log.info("ban_notice_failed", error=type(exc).__name__)
