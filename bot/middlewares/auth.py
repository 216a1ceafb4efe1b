"""Auth: load or register the user behind the update, keep out who may not use the bot, inject
``data["user"]``.

Kept out here, before any handler: banned and refused users (a notice at most once per
``BAN_NOTICE_INTERVAL``), strangers when ``REGISTRATION=closed`` (likewise, nothing stored),
and pending users (``REGISTRATION=approval``), who are answered "waiting for an admin" on
everything but /start and /help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User

from core.clock import Clock, utc_now
from core.domain import Access
from handlers.access_render import CLOSED_NOTICE, PENDING_NOTICE, REFUSED_NOTICE
from services.users import UserService

log = structlog.get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

BAN_NOTICE = "You are banned from using this bot. Contact an admin if this is a mistake."
PENDING_MAY: Final = frozenset({"start", "help"})


def _command(update: Update) -> str | None:
    """``/Start@bot x`` -> ``start``; None for anything but a command message."""
    text = update.message.text if update.message is not None else None
    if not text or not text.startswith("/"):
        return None
    return text.split(maxsplit=1)[0][1:].partition("@")[0].casefold()


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
        if user is None:  # REGISTRATION=closed, a stranger
            log.info("stranger_refused")
            if await self._users.should_notify_stranger(from_user.id, self._interval):
                await self._notice(event, data, from_user.id, CLOSED_NOTICE)
            return None
        if user.is_banned or user.access is Access.REFUSED:
            log.info("banned_user_dropped" if user.is_banned else "refused_user_dropped")
            if await self._users.should_notify_ban(user.id, self._clock(), self._interval):
                notice = BAN_NOTICE if user.is_banned else REFUSED_NOTICE
                await self._notice(event, data, from_user.id, notice)
            return None
        structlog.contextvars.bind_contextvars(role=user.role.value)
        data["user"] = user
        data["user_created"] = created
        if user.access is Access.PENDING and _command(event) not in PENDING_MAY:
            log.info("pending_user_waiting")
            await self._notice(event, data, from_user.id, PENDING_NOTICE)
            return None
        return await handler(event, data)

    @staticmethod
    async def _notice(event: Update, data: dict[str, Any], chat_id: int, text: str) -> None:
        bot: Bot = data["bot"]
        try:
            if event.callback_query is not None:
                await bot.answer_callback_query(event.callback_query.id, text, show_alert=True)
            else:
                await bot.send_message(chat_id, text)
        except TelegramAPIError as exc:
            log.info("access_notice_failed", error=type(exc).__name__)
