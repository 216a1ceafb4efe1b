"""Wiring of the Mini App's entry point: the ``Dashboard`` menu button (issue 12).

When ``WEBAPP_URL`` is set, a start hook makes it the default menu button of every private chat
(``setChatMenuButton`` without a chat: Telegram's default for all of them), so each user opens
the Mini App from the button next to the message box and Telegram signs its ``initData``. Unset,
nothing is sent: a button set by hand with BotFather's ``/setmenubutton`` stays as it is.
A refusal is logged, not raised: the bot works without the button (as with the command menus).
"""

from __future__ import annotations

from typing import Final

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import MenuButtonWebApp, WebAppInfo

from bot.features import Hook
from core.config_webapp import WebAppSettings

log = structlog.get_logger(__name__)

BUTTON_TEXT: Final = "Dashboard"


def start_hooks(settings: WebAppSettings, bot: Bot) -> list[Hook]:
    """The hook that sets the Dashboard button, or none when ``WEBAPP_URL`` is unset."""
    url = settings.url
    if url is None:
        return []

    async def set_menu_button() -> None:
        button = MenuButtonWebApp(text=BUTTON_TEXT, web_app=WebAppInfo(url=url))
        try:
            await bot.set_chat_menu_button(menu_button=button)
        except TelegramAPIError as exc:  # network errors too (a subclass)
            log.warning("menu_button_failed", error=type(exc).__name__)
            return
        log.info("menu_button_set", url=url)

    return [set_menu_button]
