"""/connect (exchange keys), /accounts, /disconnect and /pin.

Every message that carries a key, secret, passphrase or PIN is deleted first thing, before it is
even validated; if Telegram refuses the delete, the user is told to delete it. Key material in
the /connect form is kept in FSM data only sealed by the key store, and the form is cleared on
every exit (done, refused, expired, /cancel, Cancel).

When the exchange does not answer the key check (``TemporaryExchangeError``), the form stays
open in ``ConnectForm.retry`` with the keys still sealed, under "Try again" / "Cancel" buttons:
the user never types a key twice. The form's own expiry (set at /connect) bounds the retry; the
FSM state is per user and chat, so a press by anyone else finds no form and is answered as a
stale button, as is a press under the prompt of an earlier form (the form keeps its prompt's
message id); the per-chat event lock runs one check at a time.
"""

from __future__ import annotations

from typing import Any, Final

import structlog
from aiogram import F
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.errors import ExchangeError, TemporaryExchangeError, UserError
from core.security import validate_pin
from handlers import accounts_render as render
from handlers.accounts_states import ConnectForm, SetPinForm
from handlers.commands import NOT_A_COMMAND, Routes, in_private_chat
from handlers.fallback import STALE_BUTTON
from handlers.html import escape
from handlers.ids import RowId
from handlers.secret_input import delete_secret_message
from services.accounts import (
    FORM_EXPIRED,
    AccountService,
    ExchangeOptions,
    SealedKeys,
    check_key_text,
    looks_like_key,
)
from services.dto import UserView
from services.trading_dto import AccountView

routes = Routes(__name__, message=in_private_chat)
log = structlog.get_logger(__name__)

MANAGE: Final = "accounts.manage"
PAGE_SIZE: Final = 6


class ExchangePickCallback(CallbackData, prefix="xp"):
    exchange: str


class ExchangePageCallback(CallbackData, prefix="xg"):
    page: int


class NetworkCallback(CallbackData, prefix="xn"):
    testnet: bool


class UncheckedKeyCallback(CallbackData, prefix="xu"):
    """Under "I cannot check this key": yes, it has withdrawals off; or cancel."""

    yes: bool


class ConnectRetryCallback(CallbackData, prefix="xr"):
    """Under "the exchange did not answer": check the kept keys again, or forget them."""

    retry: bool


class DisconnectCallback(CallbackData, prefix="dc"):
    account_id: RowId
    yes: bool


# -- /connect ----------------------------------------------------------------------------------


def _exchange_keyboard(matches: list[str], page: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    pages = max(1, -(-len(matches) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    for exchange_id in matches[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        builder.button(text=exchange_id, callback_data=ExchangePickCallback(exchange=exchange_id))
    builder.adjust(2)
    nav = []
    if page > 0:
        nav.append(("« prev", ExchangePageCallback(page=page - 1)))
    if page < pages - 1:
        nav.append(("next »", ExchangePageCallback(page=page + 1)))
    if nav:
        nav_builder = InlineKeyboardBuilder()
        for text, data in nav:
            nav_builder.button(text=text, callback_data=data)
        builder.attach(nav_builder)
    return builder.as_markup()


async def _show_matches(
    message: Message, state: FSMContext, account_service: AccountService, query: str
) -> None:
    matches = account_service.search_exchanges(query)
    await state.update_data(query=query[:32])
    if not matches:
        await message.answer(render.exchange_matches(query, 0))
        return
    await message.answer(
        render.exchange_matches(query, len(matches)), reply_markup=_exchange_keyboard(matches, 0)
    )


@routes.command("connect", "connect an exchange account (API keys)", MANAGE, args="[exchange]")
async def start_connect(
    message: Message, command: CommandObject, state: FSMContext, account_service: AccountService
) -> None:
    await state.clear()
    await state.set_state(ConnectForm.exchange)
    await state.update_data(expires=account_service.form_expiry())
    if command.args and command.args.strip():
        await _show_matches(message, state, account_service, command.args.strip())
    else:
        await message.answer(render.exchange_prompt())


@routes.message(ConnectForm.exchange, F.text, NOT_A_COMMAND, flags={"role": MANAGE})
async def search_exchange(
    message: Message, state: FSMContext, account_service: AccountService
) -> None:
    await _show_matches(message, state, account_service, message.text or "")


@routes.callback_query(ExchangePageCallback.filter(), ConnectForm.exchange, flags={"role": MANAGE})
async def page_exchanges(
    callback: CallbackQuery,
    callback_data: ExchangePageCallback,
    state: FSMContext,
    account_service: AccountService,
) -> None:
    query = str((await state.get_data()).get("query", ""))
    matches = account_service.search_exchanges(query)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=_exchange_keyboard(matches, callback_data.page)
        )
    await callback.answer()


@routes.callback_query(ExchangePickCallback.filter(), ConnectForm.exchange, flags={"role": MANAGE})
async def pick_exchange(
    callback: CallbackQuery,
    callback_data: ExchangePickCallback,
    state: FSMContext,
    account_service: AccountService,
) -> None:
    options = account_service.exchange_options(callback_data.exchange)  # data is not trusted
    await state.update_data(
        exchange=options.exchange_id, passphrase_needed=options.needs_passphrase
    )
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if options.has_testnet:
        await state.set_state(ConnectForm.network)
        builder = InlineKeyboardBuilder()
        builder.button(text="Live", callback_data=NetworkCallback(testnet=False))
        builder.button(text="Testnet", callback_data=NetworkCallback(testnet=True))
        await callback.message.edit_text(
            render.network_prompt(options.exchange_id), reply_markup=builder.as_markup()
        )
        return
    await _ask_for_key(callback.message, state, options, sandbox=False)


@routes.callback_query(NetworkCallback.filter(), ConnectForm.network, flags={"role": MANAGE})
async def pick_network(
    callback: CallbackQuery,
    callback_data: NetworkCallback,
    state: FSMContext,
    account_service: AccountService,
) -> None:
    options = account_service.exchange_options(str((await state.get_data()).get("exchange")))
    await callback.answer()
    if isinstance(callback.message, Message):
        await _ask_for_key(callback.message, state, options, sandbox=callback_data.testnet)


async def _ask_for_key(
    prompt: Message, state: FSMContext, options: ExchangeOptions, *, sandbox: bool
) -> None:
    """The key prompt; for live keys of an exchange that cannot tell a key's withdraw right,
    first the refusal (not allowed by the operator) or the question (allowed)."""
    await state.update_data(sandbox=sandbox)
    if options.withdraw_unchecked and not sandbox:
        if not options.live_allowed:
            await state.clear()
            await prompt.edit_text(render.unchecked_refused(options.exchange_id))
            return
        await state.set_state(ConnectForm.confirm_unchecked)
        builder = InlineKeyboardBuilder()
        builder.button(
            text="Yes, withdrawals are off", callback_data=UncheckedKeyCallback(yes=True)
        )
        builder.button(text="Cancel", callback_data=UncheckedKeyCallback(yes=False))
        await prompt.edit_text(
            render.unchecked_warning(options.exchange_id), reply_markup=builder.as_markup()
        )
        return
    await state.set_state(ConnectForm.api_key)
    await prompt.edit_text(render.key_prompt(options.exchange_id, sandbox))


@routes.callback_query(
    UncheckedKeyCallback.filter(), ConnectForm.confirm_unchecked, flags={"role": MANAGE}
)
async def confirm_unchecked(
    callback: CallbackQuery, callback_data: UncheckedKeyCallback, state: FSMContext
) -> None:
    await callback.answer()
    if not callback_data.yes:
        await state.clear()
        if isinstance(callback.message, Message):
            await callback.message.edit_text(render.connect_cancelled())
        return
    await state.update_data(withdrawals_confirmed=True)  # checked again by the service
    await state.set_state(ConnectForm.api_key)
    if isinstance(callback.message, Message):
        exchange = str((await state.get_data()).get("exchange"))
        await callback.message.edit_text(render.key_prompt(exchange, sandbox=False))


@routes.message(ConnectForm.api_key, NOT_A_COMMAND, flags={"role": MANAGE})
async def read_api_key(
    message: Message, state: FSMContext, account_service: AccountService
) -> None:
    await delete_secret_message(message)
    key = check_key_text(message.text or "", "key")
    await state.update_data(key=account_service.seal(key))
    await state.set_state(ConnectForm.secret)
    await message.answer(render.secret_prompt())


@routes.message(ConnectForm.secret, NOT_A_COMMAND, flags={"role": MANAGE})
async def read_secret(
    message: Message, state: FSMContext, user: UserView, account_service: AccountService
) -> None:
    await delete_secret_message(message)
    secret = check_key_text(message.text or "", "secret")
    await state.update_data(secret=account_service.seal(secret))
    if (await state.get_data()).get("passphrase_needed"):
        await state.set_state(ConnectForm.passphrase)
        await message.answer(render.passphrase_prompt())
        return
    await _finish_connect(message, state, user, account_service)


@routes.message(ConnectForm.passphrase, NOT_A_COMMAND, flags={"role": MANAGE})
async def read_passphrase(
    message: Message, state: FSMContext, user: UserView, account_service: AccountService
) -> None:
    await delete_secret_message(message)
    passphrase = check_key_text(message.text or "", "passphrase")
    await state.update_data(passphrase=account_service.seal(passphrase))
    await _finish_connect(message, state, user, account_service)


async def _finish_connect(
    message: Message, state: FSMContext, user: UserView, account_service: AccountService
) -> None:
    keys = _sealed_keys(await state.get_data(), account_service)
    account = await _check_keys(keys, state, user, account_service)
    if account is None:
        retry = render.connect_retry(keys.exchange_id)
        prompt = await message.answer(retry, reply_markup=_retry_keyboard())
        await state.update_data(prompt=prompt.message_id)  # its buttons, and no other, retry
        return
    await message.answer(render.connected(account))


def _sealed_keys(data: dict[str, Any], account_service: AccountService) -> SealedKeys:
    passphrase = data.get("passphrase")
    return SealedKeys(
        exchange_id=str(data["exchange"]),
        api_key=str(data["key"]),
        secret=str(data["secret"]),
        passphrase=str(passphrase) if passphrase else None,
        sandbox=bool(data.get("sandbox")),
        # a form opened before forms had an expiry gets one now
        expires_at=str(data.get("expires") or account_service.form_expiry()),
        withdrawals_confirmed=bool(data.get("withdrawals_confirmed")),
    )


async def _check_keys(
    keys: SealedKeys, state: FSMContext, user: UserView, account_service: AccountService
) -> AccountView | None:
    """Check the sealed keys at the exchange and connect the account; None when the exchange
    did not answer: the form then waits in ``ConnectForm.retry``, keys still sealed. Every
    other outcome ends the form (refused keys, expiry: ``UserError``)."""
    try:
        account = await account_service.connect_sealed(user, keys)
    except TemporaryExchangeError:
        await state.set_state(ConnectForm.retry)
        await state.update_data(expires=keys.expires_at)
        return None
    except BaseException:
        await state.clear()  # refused, expired or failed: the sealed keys go with the form
        raise
    await state.clear()
    return account


def _retry_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Try again", callback_data=ConnectRetryCallback(retry=True))
    builder.button(text="Cancel", callback_data=ConnectRetryCallback(retry=False))
    return builder.as_markup()


@routes.callback_query(ConnectRetryCallback.filter(), ConnectForm.retry, flags={"role": MANAGE})
async def retry_connect(
    callback: CallbackQuery,
    callback_data: ConnectRetryCallback,
    state: FSMContext,
    user: UserView,
    account_service: AccountService,
) -> None:
    data = await state.get_data()
    prompt = callback.message
    if prompt is None or prompt.message_id != data.get("prompt"):
        await callback.answer(STALE_BUTTON)  # under the prompt of an earlier form
        return
    if not isinstance(prompt, Message):  # too old to edit: so is the form
        await state.clear()
        await callback.answer(FORM_EXPIRED, show_alert=True)
        return
    if not callback_data.retry:
        await state.clear()
        await callback.answer("Cancelled.")
        await prompt.edit_text(render.connect_cancelled())
        return
    keys = _sealed_keys(data, account_service)
    await callback.answer()  # at once: the check may take as long as the exchange's timeouts
    await prompt.edit_text(render.connect_checking(keys.exchange_id))  # no buttons meanwhile
    try:
        account = await _check_keys(keys, state, user, account_service)
    except (UserError, ExchangeError) as exc:  # the callback is answered: say it in the chat
        log.info("connect_retry_refused", error=type(exc).__name__)
        await prompt.edit_text(escape(exc.user_message))
        return
    if account is None:
        retry = render.connect_retry(keys.exchange_id)
        await prompt.edit_text(retry, reply_markup=_retry_keyboard())
        return
    await prompt.edit_text(render.connected(account))


@routes.message(ConnectForm.retry, NOT_A_COMMAND, flags={"role": MANAGE})
async def wait_for_retry(message: Message) -> None:
    """The form waits for a button; a key sent again is deleted all the same (it is not read:
    the form has the keys)."""
    if looks_like_key(message.text or ""):
        await delete_secret_message(message)
    await message.answer(render.connect_waiting())


# -- /accounts, /disconnect --------------------------------------------------------------------


@routes.command("accounts", "your exchange accounts (paper included)", MANAGE)
async def list_accounts(message: Message, user: UserView, account_service: AccountService) -> None:
    await message.answer(render.accounts(await account_service.accounts(user)))


@routes.command("disconnect", "remove an exchange account and its keys", MANAGE, args="<label>")
async def ask_disconnect(
    message: Message, command: CommandObject, user: UserView, account_service: AccountService
) -> None:
    account = await account_service.find_for_disconnect(user, command.args or "")
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Disconnect", callback_data=DisconnectCallback(account_id=account.id, yes=True)
    )
    builder.button(
        text="Keep it", callback_data=DisconnectCallback(account_id=account.id, yes=False)
    )
    await message.answer(render.disconnect_question(account), reply_markup=builder.as_markup())


@routes.callback_query(DisconnectCallback.filter(), flags={"role": MANAGE})
async def answer_disconnect(
    callback: CallbackQuery,
    callback_data: DisconnectCallback,
    user: UserView,
    account_service: AccountService,
) -> None:
    if not callback_data.yes:
        await callback.answer("Kept.")
        if isinstance(callback.message, Message):
            await callback.message.edit_text("Kept; nothing changed.")
        return
    account = await account_service.disconnect(user, callback_data.account_id)  # owner re-checked
    await callback.answer("Disconnected.")
    if isinstance(callback.message, Message):
        await callback.message.edit_text(render.disconnected(account))


# -- /pin ----------------------------------------------------------------------------------------


@routes.command("pin", "set or change your trading PIN; /pin off removes it", MANAGE, args="[off]")
async def start_pin(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    user: UserView,
    account_service: AccountService,
) -> None:
    await state.clear()
    arg = (command.args or "").strip().lower()
    if arg not in {"", "off"}:
        raise UserError("Send /pin to set or change your PIN, or /pin off to remove it.")
    has_pin = await account_service.has_pin(user)
    if arg == "off" and not has_pin:
        await message.answer("You have no PIN to remove.")
        return
    if has_pin:
        purpose = "remove" if arg == "off" else "change"
        await state.set_state(SetPinForm.current)
        await state.update_data(purpose=purpose)
        await message.answer(render.pin_prompt_current(purpose))
        return
    await state.set_state(SetPinForm.new)
    await message.answer(render.pin_prompt_new())


@routes.message(SetPinForm.current, NOT_A_COMMAND, flags={"role": MANAGE})
async def read_current_pin(
    message: Message, state: FSMContext, user: UserView, account_service: AccountService
) -> None:
    await delete_secret_message(message)
    purpose = (await state.get_data()).get("purpose")
    await state.clear()
    if purpose == "remove":
        await account_service.clear_pin(user, message.text or "")
        await message.answer("PIN removed. Live orders no longer ask for it.")
        return
    await account_service.verify_pin(user, message.text or "")
    await state.set_state(SetPinForm.new)
    await message.answer(render.pin_prompt_new())


@routes.message(SetPinForm.new, NOT_A_COMMAND, flags={"role": MANAGE})
async def read_new_pin(
    message: Message, state: FSMContext, user: UserView, account_service: AccountService
) -> None:
    await delete_secret_message(message)
    pin = validate_pin(message.text or "")  # a malformed PIN keeps the form open for another try
    await state.clear()
    await account_service.set_pin(user, pin)
    await message.answer("PIN set. Live orders will ask for it.")
