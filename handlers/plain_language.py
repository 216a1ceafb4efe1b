"""Plain-language commands: private text that is not a command is answered or planned.

Only the user's own typed text (not a forward, not a command) outside any form is read here,
so other features' forms keep their input. A read-only request ("my balance", "price of btc",
"history") is answered at once, as its slash command would answer; whatever changes something
(an order, a cancel) becomes a plan with buttons and runs only when Confirm is pressed; a live
order of a user with a PIN asks for it first. Text that is not understood gets a pointer to
/help and the command it most likely meant, among those the user may use.
"""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.permissions import role_allows
from handlers import accounts_render as render
from handlers.commands import COMMANDS, NOT_A_COMMAND, CommandSpec, Routes, in_private_chat
from handlers.ids import RowId
from handlers.secret_input import PinEntryForm, ask_for_pin, read_pin
from services.dto import UserView
from services.intents import closest_command
from services.plain_language import PlainLanguageService
from services.plain_language_dto import CommandOutcome, CommandPlan, NotUnderstood
from services.trading import PinRequired

routes = Routes(__name__, message=in_private_chat)

USE = "bot.use"  # the service checks the role each action needs ("trade", "market.read")


class PlainLanguageCallback(CallbackData, prefix="lc"):  # prefix kept: buttons already sent
    command_id: RowId
    ok: bool


def _buttons(command_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Confirm", callback_data=PlainLanguageCallback(command_id=command_id, ok=True)
    )
    builder.button(
        text="Cancel", callback_data=PlainLanguageCallback(command_id=command_id, ok=False)
    )
    return builder.as_markup()


@routes.message(
    StateFilter(None),
    F.text,
    NOT_A_COMMAND,
    F.forward_origin.is_(None),  # forwarded posts are signals, for the signals feature
    F.via_bot.is_(None),
    flags={"role": USE},
)
async def read_command(
    message: Message, user: UserView, plain_language_service: PlainLanguageService
) -> None:
    reply = await plain_language_service.handle(user, message.text or "")
    if isinstance(reply, CommandPlan):
        await message.answer(render.plan(reply), reply_markup=_buttons(reply.command_id))
    elif isinstance(reply, CommandOutcome):
        await message.answer(render.outcome(reply))
    else:
        await message.answer(render.not_understood(_suggestion(user, reply)))


def _suggestion(user: UserView, reply: NotUnderstood) -> CommandSpec | None:
    """The command the text most likely meant, among those ``user`` may use."""
    allowed = [name for name, spec in COMMANDS.items() if role_allows(user.role, spec.required)]
    name = closest_command(reply.text, allowed)
    return COMMANDS[name] if name else None


async def _show(callback: CallbackQuery, bot: Bot, outcome: CommandOutcome) -> None:
    """In place of the plan; in a new message when the plan's message is too old to edit."""
    if isinstance(callback.message, Message):
        await callback.message.edit_text(render.outcome(outcome))
    else:
        await bot.send_message(callback.from_user.id, render.outcome(outcome))


@routes.callback_query(PlainLanguageCallback.filter(), flags={"role": USE})
async def answer_plan(
    callback: CallbackQuery,
    callback_data: PlainLanguageCallback,
    user: UserView,
    state: FSMContext,
    bot: Bot,
    plain_language_service: PlainLanguageService,
) -> None:
    if not callback_data.ok:
        await plain_language_service.cancel(user, callback_data.command_id)
        await callback.answer("Cancelled.")
        if isinstance(callback.message, Message):
            await callback.message.edit_text(render.cancelled())
        return
    try:
        outcome = await plain_language_service.confirm(user, callback_data.command_id)
    except PinRequired as exc:
        await ask_for_pin(
            callback,
            state,
            PinEntryForm.command,
            exc.user_message,
            command_id=callback_data.command_id,
        )
        return
    await callback.answer("Done.")
    await _show(callback, bot, outcome)


@routes.message(PinEntryForm.command, F.text, NOT_A_COMMAND, flags={"role": USE})
async def read_order_pin(
    message: Message,
    state: FSMContext,
    user: UserView,
    plain_language_service: PlainLanguageService,
) -> None:
    pin, plan = await read_pin(message, state)
    command_id = int(plan.get("command_id", 0))
    outcome = await plain_language_service.confirm(user, command_id, pin=pin)
    await message.answer(render.outcome(outcome))
