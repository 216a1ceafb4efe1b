"""/start, /help [command], /whoami, /cancel; /help (and /start for a role other than a new
user's) also fit the chat's command menu to the user's role (handlers/command_menu.py);
a user still waiting for an admin (``REGISTRATION=approval``) is told so by both."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from core.domain import Access, Role
from core.permissions import role_allows
from handlers import access_render, render
from handlers.command_menu import NEW_USER_ROLE, fit_menu
from handlers.commands import COMMANDS, Routes, in_private_chat
from handlers.usage import EXAMPLES
from services.dto import UserView

routes = Routes(__name__, message=in_private_chat)


@routes.command("start", "register and see what the bot does", Role.VIEWER, order=0)
async def start(message: Message, user: UserView, bot: Bot, user_created: bool = False) -> None:
    if user.access is Access.PENDING:
        await message.answer(access_render.pending_welcome(user))
        return
    await message.answer(render.welcome(user, user_created))
    if user.role is not NEW_USER_ROLE:  # the shared list already fits the rest: no API call
        await fit_menu(bot, message.chat.id, user.role)


@routes.command(
    "help",
    "the commands you can use, or one with examples",
    Role.VIEWER,
    args="[command]",
    order=1,
)
async def show_help(message: Message, command: CommandObject, user: UserView, bot: Bot) -> None:
    if command.args:
        await message.answer(_one_command(command.args, user.role))
        return
    text = render.help_text(user.role, COMMANDS.values())
    if user.access is Access.PENDING:
        text = access_render.pending_help_note() + "\n\n" + text
    await message.answer(text)
    await fit_menu(bot, message.chat.id, user.role)


def _one_command(args: str, role: Role) -> str:
    """``/help buy``, ``/help /BUY``, ``/help buy@bot``: that command's usage and examples."""
    name = args.split(maxsplit=1)[0].lstrip("/").partition("@")[0].casefold()
    spec = COMMANDS.get(name)
    if spec is None:
        return render.unknown_command(name)
    if not role_allows(role, spec.required):
        return render.not_your_command(name, role)
    return render.command_help(spec, EXAMPLES.get(name, ()))


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
