"""Messages that carry a secret (exchange keys, the trading PIN), and the PIN step that confirms a
live order.

A message holding a secret is deleted first thing, before it is even validated; if Telegram
refuses, the user is told to delete it. The PIN step is the same for every Confirm button that
can need a PIN: ``ask_for_pin`` when the service raised ``PinRequired`` (the plan to confirm is
kept in the FSM data), then ``read_pin`` in the handler of that ``PinEntryForm`` state. The
form ends when the PIN arrives, right or wrong: a wrong PIN means pressing Confirm again.

``routes`` is the guard that runs before every feature: a private message that is not a
command and looks like a key or secret (``core.secret_text.looks_like_secret``), outside the
forms that ask for one, is deleted and answered with why, and goes no further: no handler
stores it (plain-language commands keep their text) or sends it on (to the AI model). Its text
is never logged. It takes everyone, whatever their role: deleting a user's own secret needs none.
"""

from __future__ import annotations

from typing import Any, Final

import structlog
from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from core.secret_text import looks_like_secret
from handlers import accounts_render, trading_render
from handlers.accounts_states import ConnectForm, SetPinForm
from handlers.commands import NOT_A_COMMAND, PUBLIC, Routes, in_private_chat

log = structlog.get_logger(__name__)
routes = Routes(__name__, message=in_private_chat)

PASTE_DELETED: Final = (
    "That looked like an API key or secret, so I deleted it and kept nothing. "
    "To add exchange keys use /connect."
)


class PinEntryForm(StatesGroup):
    """Waiting for the trading PIN that confirms a live order, one state per kind of plan.

    The states keep the names stored before the two PIN forms became this one, so a PIN asked
    for just before a deploy still reaches a handler (and is deleted) after it.
    """

    # data: token, the order plan of a Confirm button (/buy, /sell)
    order = State("waiting", group_name="PinForm")
    # data: command_id, the plan of a plain-language command
    command = State("pin", group_name="LanguagePinForm")
    # data: token, a confirm-mode trade plan's card (Execute on a live account)
    trade_plan = State("pin", group_name="PlanPinForm")


async def delete_secret_message(message: Message) -> bool:
    """Delete a message holding a secret; on failure tell the user to do it. Never logs text."""
    try:
        await message.delete()
    except TelegramAPIError as exc:
        log.warning("secret_message_not_deleted", error=type(exc).__name__)
        await message.answer(accounts_render.delete_failed())
        return False
    return True


async def ask_for_pin(
    query: CallbackQuery, state: FSMContext, waiting: State, reason: str, **plan: str | int
) -> None:
    """Wait in ``waiting`` for the PIN confirming ``plan`` and ask for it (``reason``: what
    ``PinRequired`` says)."""
    await state.set_state(waiting)
    await state.update_data(plan)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(trading_render.pin_prompt(reason))


async def read_pin(message: Message, state: FSMContext) -> tuple[str, dict[str, Any]]:
    """The PIN ``message`` holds (the message is deleted first) and the plan it confirms, as
    ``ask_for_pin`` kept it; the form is over."""
    await delete_secret_message(message)
    plan = await state.get_data()
    await state.clear()
    return message.text or "", plan


# the forms whose own handlers read (and delete) a secret: the guard leaves their input alone
_SECRET_FORMS: Final = frozenset(
    state.state
    for state in (
        ConnectForm.api_key,
        ConnectForm.secret,
        ConnectForm.passphrase,
        *SetPinForm.__all_states__,
        *PinEntryForm.__all_states__,
    )
)


def pasted_secret(message: Message, raw_state: str | None = None) -> bool:
    """Filter: the message's text or caption looks like a secret, outside a form asking for one."""
    if raw_state in _SECRET_FORMS:
        return False
    return looks_like_secret(message.text or message.caption or "")


@routes.message(NOT_A_COMMAND, F.text | F.caption, pasted_secret, flags={"role": PUBLIC})
async def drop_pasted_secret(message: Message) -> None:
    log.info("pasted_secret_deleted")
    if await delete_secret_message(message):
        await message.answer(PASTE_DELETED)
