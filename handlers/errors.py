"""The one catch-all: user errors are answered with their message, the rest get a reference."""

from __future__ import annotations

import structlog
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from core.errors import AppError, ExchangeError, OrderRejected, UserError
from handlers import render
from handlers.commands import Routes
from handlers.html import escape

routes = Routes(__name__)
log = structlog.get_logger(__name__)


async def _reply(event: ErrorEvent, text: str) -> None:
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(text)
    except TelegramAPIError as exc:  # the chat may be gone; the error is already logged
        log.warning("error_reply_failed", error=type(exc).__name__)


@routes.errors(ExceptionTypeFilter(UserError, OrderRejected))
async def answer_user_error(event: ErrorEvent) -> None:
    assert isinstance(event.exception, AppError)
    log.info("user_error", error=type(event.exception).__name__)
    await _reply(event, escape(event.exception.user_message))


@routes.errors(ExceptionTypeFilter(ExchangeError))
async def answer_exchange_error(event: ErrorEvent) -> None:
    assert isinstance(event.exception, AppError)
    log.warning("exchange_error", error=type(event.exception).__name__)
    await _reply(event, escape(event.exception.user_message))


@routes.errors()
async def answer_unexpected(event: ErrorEvent) -> None:
    log.error("handler_failed", exc_info=event.exception, update_id=event.update.update_id)
    await _reply(event, render.error_ref(event.update.update_id))
