"""Signals in private chat: forwarded and copied posts (answered with the confidence card), the
card's Track / Edit / Ignore buttons, the Edit form, /unfollow, /signals, /signal (/follow and
its settings are in ``handlers.following``)."""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
)

from core.domain import SignalKind
from core.errors import UserError
from handlers import signals_place_render as place_render
from handlers import signals_render as render
from handlers import tracking_render
from handlers.commands import NOT_A_COMMAND, Routes, in_private_chat
from handlers.html import escape
from handlers.paging import PAGE_SIZE, PageCallback, answer_long, page_of, show_page
from handlers.signals_callbacks import EntryLinkCallback, SignalCallback, UpdatePlaceCallback
from handlers.signals_states import STEPS, EditSignalForm, field_of
from handlers.sources import BotChatDirectory
from services.dto import UserView
from services.signal_dto import CardKind, ForwardedPost, IntakeReply, SignalView
from services.signal_parser import parse
from services.signals import SignalService, parse_edit_value

routes = Routes(__name__, message=in_private_chat)

KEEP = "-"
SIGNAL_PAGES = 10  # /signals pages back through the 100 latest signals


def markup(rows: list[list[dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows]
    )


def looks_like_signal(message: Message) -> bool:
    """A pasted copy worth a card: an entry with levels (so "buy 0.1 BTC" commands and chat
    text go on to other handlers)."""
    text = message.text or ""
    if not text.strip() or text.startswith("/"):
        return False
    result = parse(text)
    return result.kind is SignalKind.ENTRY and bool(result.targets or result.stop_loss)


async def answer_intake(message: Message, reply: IntakeReply) -> None:
    if reply.card is None:
        await message.answer(render_note(reply.note))
        return
    kind = reply.card_kind or CardKind.PRIVATE
    text = render.card(reply.card, kind, reply.note)
    if reply.duplicate and kind is CardKind.TRACKED:
        text += "\n<i>Already received: this post is one signal, however often it is sent.</i>"
    rows = render.card_buttons(reply.card) + place_render.link_buttons(reply.card, reply.choices)
    await message.answer(text, reply_markup=markup(rows))


def render_note(note: str | None) -> str:
    return escape(note or "Nothing to do with that message.")


# -- the Edit form (before the intake handlers, so answers are not read as posts) ---------------


@routes.message(EditSignalForm(), F.text, NOT_A_COMMAND, flags={"role": "bot.use"})
async def edit_step(
    message: Message, state: FSMContext, user: UserView, signal_service: SignalService
) -> None:
    name, following = field_of(await state.get_state())
    data = await state.get_data()
    answer = (message.text or "").strip()
    changes: dict[str, str] = dict(data.get("changes", {}))
    if answer != KEEP:
        parse_edit_value(name, answer)  # UserError: asked again, nothing kept
        changes[name] = answer
    await state.update_data(changes=changes)
    signal_id = int(data["signal_id"])
    if following is not None:
        signal = await signal_service.start_edit(user, signal_id)
        next_name, _ = field_of(following.state)
        await state.set_state(following)
        await message.answer(render.edit_prompt(signal, next_name))
        return
    try:
        signal = await signal_service.apply_edit(user, signal_id, changes)
    finally:  # done, or refused (the error is answered): either way the form ends
        await state.clear()
    kind = CardKind.TRACKED if signal.is_tracked else CardKind.PRIVATE
    done = "Saved." if changes else "Nothing changed."
    await message.answer(
        f"{done}\n{render.card(signal, kind)}", reply_markup=markup(render.card_buttons(signal))
    )


# -- the card's buttons -------------------------------------------------------------------------


async def _refresh(callback: CallbackQuery, signal: SignalView) -> None:
    """Show the card's new state where the buttons were (the old message may be gone)."""
    if not isinstance(callback.message, Message):
        return
    kind = CardKind.TRACKED if signal.is_tracked else CardKind.PRIVATE
    with contextlib.suppress(TelegramAPIError):  # unchanged or deleted message: nothing to do
        await callback.message.edit_text(
            render.card(signal, kind), reply_markup=markup(render.card_buttons(signal))
        )


@routes.callback_query(SignalCallback.filter(F.action == "track"), flags={"role": "bot.use"})
async def track_signal(
    callback: CallbackQuery,
    callback_data: SignalCallback,
    user: UserView,
    signal_service: SignalService,
) -> None:
    signal = await signal_service.track(user, callback_data.signal_id)
    note = "Tracked: followers are told." if signal.is_tracked else "Saved as your private signal."
    await callback.answer(note)
    await _refresh(callback, signal)


@routes.callback_query(SignalCallback.filter(F.action == "ignore"), flags={"role": "bot.use"})
async def ignore_signal(
    callback: CallbackQuery,
    callback_data: SignalCallback,
    user: UserView,
    signal_service: SignalService,
) -> None:
    signal = await signal_service.ignore(user, callback_data.signal_id)
    await callback.answer("Ignored.")
    await _refresh(callback, signal)


@routes.callback_query(SignalCallback.filter(F.action == "edit"), flags={"role": "bot.use"})
async def edit_signal(
    callback: CallbackQuery,
    callback_data: SignalCallback,
    user: UserView,
    state: FSMContext,
    signal_service: SignalService,
    bot: Bot,
) -> None:
    signal = await signal_service.start_edit(user, callback_data.signal_id)
    await callback.answer()
    await state.clear()
    await state.update_data(signal_id=signal.id, changes={})
    first_state, name = STEPS[0]
    await state.set_state(first_state)
    await bot.send_message(user.telegram_id, render.edit_prompt(signal, name))


@routes.callback_query(UpdatePlaceCallback.filter(), flags={"role": "bot.use"})
async def place_update(
    callback: CallbackQuery,
    callback_data: UpdatePlaceCallback,
    user: UserView,
    signal_service: SignalService,
) -> None:
    """Link an update the bot could not place to one of the listed signals, or ignore it (the
    service checks the presser decides on its source; a second press applies nothing)."""
    outcome = await signal_service.place_update(
        user, callback_data.event_id, callback_data.signal_id
    )
    await callback.answer(place_render.placed_alert(outcome))
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramAPIError):  # unchanged or deleted: nothing to do
            await callback.message.edit_text(place_render.placed(outcome))


@routes.callback_query(EntryLinkCallback.filter(), flags={"role": "bot.use"})
async def link_entry(
    callback: CallbackQuery,
    callback_data: EntryLinkCallback,
    user: UserView,
    signal_service: SignalService,
) -> None:
    """A held entry is about an open signal: set aside, recorded on that signal."""
    signal, already = await signal_service.link_entry(
        user, callback_data.signal_id, callback_data.to_id
    )
    done = f"Linked to signal #{signal.id}."
    await callback.answer(f"Already done: {done}" if already else done)
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramAPIError):  # unchanged or deleted: nothing to do
            await callback.message.edit_text(place_render.entry_linked(signal))


# -- commands -----------------------------------------------------------------------------------


@routes.command(
    "unfollow", "stop following a channel", "subscriptions.manage", args="<source>", order=42
)
async def unfollow_source(
    message: Message, command: CommandObject, user: UserView, signal_service: SignalService
) -> None:
    source = await signal_service.unfollow(user, command.args or "")
    await message.answer(f"You no longer follow {escape(source.name)}.")


@routes.command("signals", "recent signals of the channels you follow", "signals.read", order=43)
async def list_signals(message: Message, user: UserView, signal_service: SignalService) -> None:
    await _signals_page(message, user, signal_service, 0)


@routes.callback_query(PageCallback.filter(F.view == "signals"), flags={"role": "signals.read"})
async def turn_signals_page(
    callback: CallbackQuery,
    callback_data: PageCallback,
    user: UserView,
    signal_service: SignalService,
) -> None:
    await _signals_page(callback, user, signal_service, callback_data.page)


async def _signals_page(
    event: Message | CallbackQuery, user: UserView, signal_service: SignalService, number: int
) -> None:
    recent = await signal_service.recent(user, limit=SIGNAL_PAGES * PAGE_SIZE)
    page = page_of(recent, number)
    await show_page(event, render.signal_list(page.items, page.label), page.buttons("signals"))


@routes.command("signal", "one signal with its updates", "signals.read", args="<id>", order=44)
async def show_signal(
    message: Message, command: CommandObject, user: UserView, signal_service: SignalService
) -> None:
    raw = (command.args or "").strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 12:
        raise UserError("Usage: /signal <id>, e.g. /signal 12 (/signals lists them).")
    item = await signal_service.detail(user, int(raw))
    text = "\n".join([render.detail(item), *tracking_render.outcome_lines(item.outcomes)])
    buttons = tracking_render.chart_buttons("signal", item.signal.id) if item.outcomes else []
    await answer_long(message, text, buttons)


# -- posts sent to the bot ----------------------------------------------------------------------


@routes.message(F.forward_origin, NOT_A_COMMAND, flags={"role": "signals.forward"})
async def read_forward(
    message: Message, user: UserView, bot: Bot, signal_service: SignalService
) -> None:
    origin = message.forward_origin
    channel = origin if isinstance(origin, MessageOriginChannel) else None
    post = ForwardedPost(
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        origin_chat_id=channel.chat.id if channel else None,
        origin_message_id=channel.message_id if channel else None,
        origin_date=channel.date if channel else None,
    )
    reply = await signal_service.ingest_private(user, post, BotChatDirectory(bot))
    await answer_intake(message, reply)


@routes.message(NOT_A_COMMAND, looks_like_signal, flags={"role": "signals.forward"})
async def read_copy(
    message: Message, user: UserView, bot: Bot, signal_service: SignalService
) -> None:
    """A pasted post has no origin: never attributed to a channel, always private."""
    post = ForwardedPost(
        chat_id=message.chat.id, message_id=message.message_id, text=message.text or ""
    )
    reply = await signal_service.ingest_private(user, post, BotChatDirectory(bot))
    await answer_intake(message, reply)
