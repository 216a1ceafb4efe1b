"""Trade plans in chat: /plans (open ones with a Close button each, the last closed with their
P/L), /panic (what it would close, then Confirm / Cancel) and the confirm-mode card's Execute /
Paper / Ignore buttons, with the trading PIN asked for a live Execute.

Buttons carry a plan id or an opaque token, never amounts; ``TradePlanService`` checks that the
plan or token is the presser's, and that a token is used once (a second press is answered
"placed once", a foreign, forged or expired one changes nothing).
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, Final

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from pydantic import Field

from core.errors import UserError
from handlers import plans_render as render
from handlers.commands import NOT_A_COMMAND, Routes, in_private_chat
from handlers.ids import RowId
from handlers.paging import answer_long
from handlers.secret_input import PinEntryForm, ask_for_pin, read_pin
from services.dto import UserView
from services.trade_plans.service import TradePlanService
from services.trading import PinRequired

routes = Routes(__name__, message=in_private_chat)

TRADE: Final = "trade"
Token = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9_-]+$")]


class PlanChoiceCallback(CallbackData, prefix=render.PLAN_PREFIX):
    """The confirm card's buttons (``plans_render.plan_buttons`` writes the same data)."""

    choice: str  # x | p | i
    token: Token


class PlanCloseCallback(CallbackData, prefix="pc"):
    plan_id: RowId


class PanicCallback(CallbackData, prefix="pn"):
    action: str  # go | no
    token: Token


def markup(rows: list[list[dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows]
    )


async def _edit(callback: CallbackQuery, text: str) -> None:
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramAPIError):  # deleted or unchanged: nothing to do
            await callback.message.edit_text(text, reply_markup=None)


@routes.command("plans", "your open trade plans and the last closed ones", TRADE, order=48)
async def list_plans(message: Message, user: UserView, plan_service: TradePlanService) -> None:
    open_plans = await plan_service.open_plans(user)
    closed = await plan_service.closed_plans(user, limit=10)
    rows = [
        [
            {
                "text": f"Close #{plan.id} {plan.symbol}",
                "callback_data": PlanCloseCallback(plan_id=plan.id).pack(),
            }
        ]
        for plan in open_plans
    ]
    await answer_long(message, render.plans_list(open_plans, closed), rows)


@routes.callback_query(PlanCloseCallback.filter(), flags={"role": TRADE})
async def close_plan(
    callback: CallbackQuery,
    callback_data: PlanCloseCallback,
    user: UserView,
    plan_service: TradePlanService,
) -> None:
    plan = await plan_service.close_plan(user, callback_data.plan_id)
    await callback.answer(f"Closing plan #{plan.id} at market.")


@routes.command("panic", "close every open plan at market (asks first)", TRADE, order=49)
async def ask_panic(message: Message, user: UserView, plan_service: TradePlanService) -> None:
    token, plans = await plan_service.panic_token(user)
    rows: list[list[dict[str, Any]]] = []
    if plans:
        rows = [
            [
                {
                    "text": "Confirm: close all",
                    "callback_data": PanicCallback(action="go", token=token).pack(),
                },
                {
                    "text": "Cancel",
                    "callback_data": PanicCallback(action="no", token=token).pack(),
                },
            ]
        ]
    await answer_long(message, render.panic_preview(plans), rows)


@routes.callback_query(PanicCallback.filter(), flags={"role": TRADE})
async def answer_panic(
    callback: CallbackQuery,
    callback_data: PanicCallback,
    user: UserView,
    plan_service: TradePlanService,
) -> None:
    if callback_data.action != "go":
        await callback.answer("Cancelled: nothing was closed.")
        await _edit(callback, "Cancelled: nothing was closed.")
        return
    closed = await plan_service.panic(user, callback_data.token)
    await callback.answer("Closing.")
    await _edit(callback, render.panic_done(closed))


@routes.callback_query(PlanChoiceCallback.filter(), flags={"role": TRADE})
async def decide_plan(
    callback: CallbackQuery,
    callback_data: PlanChoiceCallback,
    user: UserView,
    state: FSMContext,
    plan_service: TradePlanService,
) -> None:
    choice = render.CHOICES.get(callback_data.choice)
    if choice is None:
        raise UserError("That button is not valid any more.")
    try:
        plan = await plan_service.decide(user, callback_data.token, choice)
    except PinRequired as exc:
        await ask_for_pin(
            callback, state, PinEntryForm.trade_plan, exc.user_message, token=callback_data.token
        )
        return
    await callback.answer("Ignored." if plan is None else "Placed.")
    await _edit(callback, render.decided(plan, choice))


@routes.message(PinEntryForm.trade_plan, F.text, NOT_A_COMMAND, flags={"role": TRADE})
async def receive_plan_pin(
    message: Message, state: FSMContext, user: UserView, plan_service: TradePlanService
) -> None:
    pin, data = await read_pin(message, state)
    token = data.get("token")
    if not isinstance(token, str):
        raise UserError("There is no plan waiting for a PIN; press Execute again.")
    plan = await plan_service.decide(user, token, "execute", pin=pin)
    await message.answer(render.decided(plan, "execute"))
