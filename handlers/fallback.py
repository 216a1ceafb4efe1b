"""Last router: unknown commands get a hint; other private text a pointer to /help; a button
no handler takes (expired, from an old keyboard, or forged data whose ids fail
handlers/ids.RowId) gets the polite stale answer and a DEBUG line, never an error."""

from __future__ import annotations

from typing import Final

import structlog
from aiogram import F
from aiogram.types import CallbackQuery, Message

from handlers import render
from handlers.commands import Routes, in_private_chat

routes = Routes(__name__, message=in_private_chat)
log = structlog.get_logger(__name__)

STALE_BUTTON: Final = "This button is no longer valid."


@routes.message(F.text.startswith("/"), flags={"role": "bot.use"})
async def unknown_command(message: Message) -> None:
    name = (message.text or "/").split()[0][1:].split("@")[0]
    await message.answer(render.unknown_command(name))


@routes.message(flags={"role": "bot.use"})
async def not_understood(message: Message) -> None:
    if message.text is None:
        await message.answer("I only read text messages. Send /help for what I can do.")
        return
    await message.answer("I did not understand that. Send /help for what I can do.")


@routes.callback_query(flags={"role": "bot.use"})
async def stale_button(callback: CallbackQuery) -> None:
    log.debug("callback_ignored", data=(callback.data or "")[:64])  # Telegram caps it at 64 bytes
    await callback.answer(STALE_BUTTON, show_alert=False)
