"""Following with settings: /follow, /following, the settings menu (buttons and typed values),
the live auto-trading yes, and the kill switches /pause, /resume and admin /maintenance.

Every change goes through ``FollowingService``, which checks it and changes nothing when it is
refused (the error handler answers with the reason). Buttons carry a source id only: the
service looks the subscription up as (the presser, that source).
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from core.domain import Role
from core.errors import UserError
from handlers import following_render as render
from handlers.commands import NOT_A_COMMAND, Routes, in_private_chat
from handlers.following_callbacks import FollowMenuCallback, FollowSetCallback
from handlers.paging import PageCallback, page_of, show_page
from handlers.usage import showing_usage
from services.dto import UserView
from services.trade_plans.dto import FollowingView
from services.trade_plans.following import FollowingService, LiveAutoAckNeeded

routes = Routes(__name__, message=in_private_chat)

TRADE = "trade"


class FollowSettingForm(StatesGroup):
    value = State()  # data: source_id, setting (index in render.SETTINGS)


def markup(rows: list[list[dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows]
    )


async def _show(callback: CallbackQuery, text: str, rows: list[list[dict[str, Any]]]) -> None:
    """Replace the pressed message with ``text`` and ``rows`` (it may be gone or unchanged)."""
    if not isinstance(callback.message, Message):
        return
    with contextlib.suppress(TelegramAPIError):
        await callback.message.edit_text(text, reply_markup=markup(rows))


async def _menu(callback: CallbackQuery, view: FollowingView, note: str = "") -> None:
    await _show(callback, render.settings_card(view, note), render.settings_buttons(view))


# -- commands -----------------------------------------------------------------------------------


@routes.command(
    "follow",
    "get a channel's signals (confirm/auto: trade them)",
    "subscriptions.manage",
    args="<source> [notify | confirm | auto] [USDT per trade]",
    order=41,
)
async def follow_source(
    message: Message,
    command: CommandObject,
    user: UserView,
    following_service: FollowingService,
) -> None:
    with showing_usage("follow"):
        view = await following_service.follow(user, command.args or "")
    await message.answer(
        f"{render.followed(view)}\n\n{render.settings_card(view)}",
        reply_markup=markup(render.settings_buttons(view)),
    )


@routes.command(
    "following", "the channels you follow and their settings", "subscriptions.manage", order=45
)
async def list_following(
    message: Message, user: UserView, following_service: FollowingService
) -> None:
    await _following_page(message, user, following_service, 0)


@routes.callback_query(
    PageCallback.filter(F.view == "following"), flags={"role": "subscriptions.manage"}
)
async def turn_following_page(
    callback: CallbackQuery,
    callback_data: PageCallback,
    user: UserView,
    following_service: FollowingService,
) -> None:
    await _following_page(callback, user, following_service, callback_data.page)


async def _following_page(
    event: Message | CallbackQuery,
    user: UserView,
    following_service: FollowingService,
    number: int,
) -> None:
    page = page_of(await following_service.following(user), number)
    paused = await following_service.paused(user)
    text, rows = render.following_list(page.items, paused, page.label)
    await show_page(event, text, rows + page.buttons("following"))


@routes.command(
    "pause", "stop new trades from every source, or from one", TRADE, args="[source]", order=46
)
async def pause_trading(
    message: Message,
    command: CommandObject,
    user: UserView,
    following_service: FollowingService,
) -> None:
    source = await following_service.set_paused(user, command.args or "", paused=True)
    await message.answer(render.paused_note(source.name if source else None, paused=True))


@routes.command("resume", "trade again after /pause", TRADE, args="[source]", order=47)
async def resume_trading(
    message: Message,
    command: CommandObject,
    user: UserView,
    following_service: FollowingService,
) -> None:
    source = await following_service.set_paused(user, command.args or "", paused=False)
    await message.answer(render.paused_note(source.name if source else None, paused=False))


@routes.command(
    "maintenance", "stop (on) or allow (off) every new plan", Role.ADMIN, args="on|off", order=84
)
async def switch_maintenance(
    message: Message,
    command: CommandObject,
    user: UserView,
    following_service: FollowingService,
) -> None:
    word = (command.args or "").strip().lower()
    if word not in {"on", "off"}:
        state = "on" if await following_service.maintenance() else "off"
        raise UserError(f"Usage: /maintenance on or /maintenance off (now {state}).")
    on = await following_service.set_maintenance(user, word == "on")
    await message.answer(render.maintenance_note(on))


# -- the settings menu --------------------------------------------------------------------------


@routes.callback_query(FollowMenuCallback.filter(F.action == "show"), flags={"role": "bot.use"})
async def show_menu(
    callback: CallbackQuery,
    callback_data: FollowMenuCallback,
    user: UserView,
    state: FSMContext,
    following_service: FollowingService,
) -> None:
    view = await following_service.view(user, callback_data.source_id)
    await state.clear()
    await callback.answer()
    await _menu(callback, view)


@routes.callback_query(FollowMenuCallback.filter(F.action == "pick"), flags={"role": "bot.use"})
async def pick_setting(
    callback: CallbackQuery,
    callback_data: FollowMenuCallback,
    user: UserView,
    state: FSMContext,
    following_service: FollowingService,
) -> None:
    view = await following_service.view(user, callback_data.source_id)
    index = callback_data.setting
    setting = render.SETTINGS[index]
    await callback.answer()
    if setting.choices:
        extra = None
        if index == render.ACCOUNT_SETTING:
            extra = await following_service.live_accounts(user)
        await _show(
            callback, render.choose_prompt(view, index), render.choice_buttons(view, index, extra)
        )
        return
    await state.clear()
    await state.update_data(source_id=view.source.id, setting=index)
    await state.set_state(FollowSettingForm.value)
    await _show(callback, render.value_prompt(view, index), [[render.back_button(view.source.id)]])


@routes.callback_query(
    FollowMenuCallback.filter(F.action.in_({"pause", "resume"})), flags={"role": TRADE}
)
async def toggle_pause(
    callback: CallbackQuery,
    callback_data: FollowMenuCallback,
    user: UserView,
    following_service: FollowingService,
) -> None:
    paused = callback_data.action == "pause"
    source = await following_service.set_paused(user, str(callback_data.source_id), paused=paused)
    view = await following_service.view(user, callback_data.source_id)
    await callback.answer("Paused." if paused else "Resumed.")
    await _menu(callback, view, render.paused_note(source.name if source else None, paused=paused))


@routes.callback_query(FollowSetCallback.filter(), flags={"role": "bot.use"})
async def set_choice(
    callback: CallbackQuery,
    callback_data: FollowSetCallback,
    user: UserView,
    following_service: FollowingService,
) -> None:
    setting = render.SETTINGS[callback_data.setting]
    try:
        view = await following_service.change(
            user,
            callback_data.source_id,
            setting.name,
            callback_data.value,
            acknowledge=callback_data.ack,
        )
    except LiveAutoAckNeeded as warning:
        shown = await following_service.view(user, callback_data.source_id)
        text, rows = render.live_warning(
            shown, warning.user_message, callback_data.source_id, callback_data.value
        )
        await callback.answer()
        await _show(callback, text, rows)
        return
    await callback.answer("Saved.")
    await _menu(
        callback, view, f"{setting.label}: {render.value_text(view.settings, setting.name)}"
    )


@routes.message(FollowSettingForm.value, F.text, NOT_A_COMMAND, flags={"role": "bot.use"})
async def typed_value(
    message: Message, state: FSMContext, user: UserView, following_service: FollowingService
) -> None:
    """A typed value: saved and the menu shown, or refused with the reason (the form stays, so
    the next message is another try; /cancel ends it)."""
    data = await state.get_data()
    index = int(data["setting"])
    setting = render.SETTINGS[index]
    try:
        view = await following_service.change(
            user, int(data["source_id"]), setting.name, message.text or ""
        )
    except LiveAutoAckNeeded:  # only the account (a choice) can need the yes
        await state.clear()
        raise
    await state.clear()
    note = f"{setting.label}: {render.value_text(view.settings, setting.name)}"
    await message.answer(
        render.settings_card(view, note), reply_markup=markup(render.settings_buttons(view))
    )
