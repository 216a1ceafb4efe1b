"""/start, /help, /whoami, /cancel."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from core.domain import Role
from handlers import render
from handlers.commands import COMMANDS, Routes, in_private_chat
from services.dto import UserView

routes = Routes(__name__, message=in_private_chat)


@routes.command("start", "register and see what the bot does", Role.VIEWER, order=0)
async def start(message: Message, user: UserView, user_created: bool = False) -> None:
    await message.answer(render.welcome(user, user_created))


@routes.command("help", "the commands you can use", Role.VIEWER, order=1)
async def show_help(message: Message, user: UserView) -> None:
    await message.answer(render.help_text(user.role, COMMANDS.values()))


@routes.command("whoami", "your id, role and settings", Role.VIEWER, order=2)
async def whoami(message: Message, user: UserView) -> None:
    await message.answer(render.whoami(user))


async def without_arguments(message: Message, command: CommandObject) -> bool:
    """``/cancel 12`` cancels an order (handlers/trading.py); ``/cancel`` alone, a form."""
    return not command.args


@routes.command(
    "cancel", "stop what you are doing (any open form)", Role.VIEWER, without_arguments, order=3
)
async def cancel(message: Message, state: FSMContext) -> None:
    current = await state.get_state()
    await state.clear()
    await message.answer("Cancelled." if current else "Nothing to cancel.")
