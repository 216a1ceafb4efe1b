"""Last router: unknown commands get a hint; other private text a pointer to /help."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, Message

from handlers import render
from handlers.commands import Routes, in_private_chat

routes = Routes(__name__, message=in_private_chat)


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
    await callback.answer("This button is no longer valid.", show_alert=False)
