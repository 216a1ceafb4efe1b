"""/apikey and /apikeys: personal keys for the REST API, made, listed and revoked in the chat.

``/apikey [read|trade] [live]`` makes a key and shows it once; ``live`` (trade keys only) asks
for the trading PIN first, in a form whose message is deleted on arrival. ``/apikeys`` lists
the caller's keys with a Revoke button each; the button carries only the key's id and the
service revokes only the presser's own key.
"""

from __future__ import annotations

from typing import Final

from aiogram import F
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from core.errors import UserError
from handlers import apikeys_render as render
from handlers.commands import NOT_A_COMMAND, Routes, in_private_chat
from handlers.ids import RowId
from handlers.secret_input import delete_secret_message
from services.api_auth import ApiKeyService, Scope
from services.api_auth.keys import PinNeeded
from services.dto import UserView

routes = Routes(__name__, message=in_private_chat)

MAKE: Final = "api.access"
OWN: Final = "bot.use"  # anyone may list and revoke their own keys, even after a demotion


class ApiKeyForm(StatesGroup):
    pin = State()  # data: nothing; the key asked for is a live trade key


class ApiKeyRevokeCallback(CallbackData, prefix="ak"):
    key_id: RowId


def _scope(args: str | None) -> tuple[Scope, bool]:
    words = (args or "read").lower().split()
    if not words or words[0] not in {"read", "trade"} or len(words) > 2:
        raise UserError(render.USAGE)
    live = words[1:] == ["live"]
    if len(words) == 2 and not live:
        raise UserError(render.USAGE)
    return Scope(words[0]), live


@routes.command(
    "apikey",
    "make a key for the REST API (shown once)",
    MAKE,
    args="[read|trade] [live]",
    order=90,
)
async def make_key(
    message: Message,
    command: CommandObject,
    user: UserView,
    state: FSMContext,
    apikey_service: ApiKeyService,
) -> None:
    scope, live = _scope(command.args)
    try:
        made = await apikey_service.create(user, scope, live=live)
    except PinNeeded:
        await state.set_state(ApiKeyForm.pin)
        await message.answer(render.PIN_PROMPT)
        return
    await message.answer(render.new_key(made))


@routes.message(ApiKeyForm.pin, F.text, NOT_A_COMMAND, flags={"role": MAKE})
async def receive_key_pin(
    message: Message, user: UserView, state: FSMContext, apikey_service: ApiKeyService
) -> None:
    await delete_secret_message(message)
    await state.clear()  # right or wrong, the form is over: a wrong PIN means asking again
    made = await apikey_service.create(user, Scope.TRADE, live=True, pin=message.text or "")
    await message.answer(render.new_key(made))


@routes.command("apikeys", "your REST API keys, with Revoke buttons", OWN, order=91)
async def list_keys(message: Message, user: UserView, apikey_service: ApiKeyService) -> None:
    keys = await apikey_service.list_keys(user)
    markup = None
    if keys:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=render.revoke_button(key),
                        callback_data=ApiKeyRevokeCallback(key_id=key.id).pack(),
                    )
                ]
                for key in keys
            ]
        )
    await message.answer(render.key_list(keys), reply_markup=markup)


@routes.callback_query(ApiKeyRevokeCallback.filter(), flags={"role": OWN})
async def revoke_key(
    query: CallbackQuery,
    callback_data: ApiKeyRevokeCallback,
    user: UserView,
    apikey_service: ApiKeyService,
) -> None:
    key = await apikey_service.revoke(user, callback_data.key_id)
    await query.answer("Revoked.")
    if isinstance(query.message, Message):
        await query.message.answer(render.revoked(key))
