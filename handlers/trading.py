"""/price, /pairs, /balance, /buy, /sell, /orders, /cancel <id>, /positions, /history and the
Confirm buttons of live orders (with the trading PIN when the user set one).

Paper orders execute at once; live orders show exactly what will be sent, behind Confirm/Cancel
buttons that carry only an opaque token (the service re-checks owner, status and freshness).
``perp`` or a leverage (``10x``) makes /buy a long and /sell a short on perpetual futures (the
paper perp account unless a live one is named); money is then the margin.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from core.domain import OrderSide
from core.errors import UserError
from handlers import market_render, plans_render
from handlers import trading_render as render
from handlers.commands import NOT_A_COMMAND, Routes, in_private_chat
from handlers.paging import answer_long
from handlers.secret_input import PinEntryForm, ask_for_pin, read_pin
from handlers.trading_callbacks import CONFIRM, OrderCallback, confirm_keyboard
from handlers.usage import showing_usage
from services.dto import UserView
from services.leverage import split_perp_words
from services.symbols import parse_order_args, parse_pairs
from services.trade_plans.service import TradePlanService
from services.trading import PinRequired, TradingService

routes = Routes(__name__, message=in_private_chat)

TRADE = "trade"


@routes.command(
    "price",
    "current price of one or more pairs",
    "market.read",
    args="<pair> [pair ...]",
    order=20,
)
async def show_price(
    message: Message, command: CommandObject, trading_service: TradingService
) -> None:
    with showing_usage("price"):
        words = parse_pairs(command.args)
    board = await trading_service.prices(words)
    await answer_long(message, market_render.prices(board))


@routes.command("pairs", "the pairs paper trading can trade", "market.read", order=20)
async def show_pairs(message: Message, trading_service: TradingService) -> None:
    await answer_long(message, market_render.pairs(await trading_service.pairs()))


@routes.command(
    "balance", "your balances (paper or an account)", TRADE, args="[account]", order=21
)
async def show_balance(
    message: Message, command: CommandObject, user: UserView, trading_service: TradingService
) -> None:
    label = command.args.split()[0] if command.args else None
    view = await trading_service.balance(user, label)
    await message.answer(render.balance(view))


async def _place(
    message: Message,
    command: CommandObject,
    user: UserView,
    trading_service: TradingService,
    side: OrderSide,
) -> None:
    with showing_usage(side.value):
        perp = split_perp_words(command.args)
        args = parse_order_args(perp.text, side.value, typed=command.args)
    plan = await trading_service.prepare_order(
        user,
        symbol=args.symbol_text,
        side=side,
        amount=args.amount,
        amount_in_quote=args.amount_in_quote,
        price=args.price,
        account_label=args.account_label,
        order_type=args.order_type,
        share=args.share,
        perp=perp.perp,
        leverage=perp.leverage,
    )
    if plan.account.is_paper:
        order = await trading_service.execute_now(user, plan)
        if plan.leverage is not None:
            await message.answer(render.perp_order_result(order, plan))
        else:
            await message.answer(render.order_result(order))
        return
    await message.answer(
        render.plan(plan, trading_service.confirm_ttl_s), reply_markup=confirm_keyboard(plan.token)
    )


ORDER_ARGS = "<pair> <amount> [price | stop <price>] [perp | <n>x] [@account]"


@routes.command(
    "buy",
    "buy: 0.01 is coins, 100usdt or $100 is money, 50% or all of your USDT; "
    "10x or perp opens a paper perp long (money is margin, no funding on paper)",
    TRADE,
    args=ORDER_ARGS,
    order=22,
)
async def buy(
    message: Message, command: CommandObject, user: UserView, trading_service: TradingService
) -> None:
    await _place(message, command, user, trading_service, OrderSide.BUY)


@routes.command(
    "sell",
    "sell, same form as /buy; all or 50% of the coin you hold; 10x or perp: a short",
    TRADE,
    args=ORDER_ARGS,
    order=23,
)
async def sell(
    message: Message, command: CommandObject, user: UserView, trading_service: TradingService
) -> None:
    await _place(message, command, user, trading_service, OrderSide.SELL)


@routes.command("orders", "your open orders", TRADE, args="[pair]", order=24)
async def show_orders(
    message: Message, command: CommandObject, user: UserView, trading_service: TradingService
) -> None:
    symbol = command.args.split()[0] if command.args else None
    await answer_long(message, render.open_orders(await trading_service.open_orders(user, symbol)))


# "/cancel" alone clears a form (handlers/start.py); with an argument it cancels orders. Each
# handler's filter matches only its own form, so the routers' order does not matter.
@routes.message(Command("cancel", magic=F.args), flags={"role": TRADE})
async def cancel_order(
    message: Message, command: CommandObject, user: UserView, trading_service: TradingService
) -> None:
    words = (command.args or "").split()
    if words[0].lower() == "all":
        symbol = words[1] if len(words) > 1 else None
        await answer_long(
            message, render.cancelled(await trading_service.cancel_all(user, symbol))
        )
        return
    text = words[0].lstrip("#")
    if not text.isdigit() or len(text) > 18:
        raise UserError("Usage: /cancel <order id> (see /orders), or /cancel all [pair].")
    order = await trading_service.cancel_order(user, int(text))
    await message.answer(render.order_result(order))


@routes.command(
    "positions",
    "what you hold, per account; perps with leverage, liquidation, margin and P/L",
    TRADE,
    order=25,
)
async def show_positions(
    message: Message, user: UserView, trading_service: TradingService
) -> None:
    await answer_long(message, render.positions(await trading_service.positions(user)))


@routes.command("history", "your recent orders and closed plans", TRADE, order=26)
async def show_history(
    message: Message,
    user: UserView,
    trading_service: TradingService,
    plan_service: TradePlanService,
) -> None:
    text = render.history(await trading_service.history(user))
    closed = await plan_service.closed_plans(user, limit=5)
    if closed:
        text += "\n\n" + plans_render.closed_plans(closed)
    await answer_long(message, text)


@routes.callback_query(OrderCallback.filter(), flags={"role": TRADE})
async def order_button(
    query: CallbackQuery,
    callback_data: OrderCallback,
    user: UserView,
    state: FSMContext,
    trading_service: TradingService,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.action != CONFIRM:
        await trading_service.cancel_plan(user, callback_data.token)
        await query.answer("Cancelled; nothing was sent.")
        if message is not None:
            await message.edit_text(f"{message.html_text}\n\n✖ Cancelled; nothing was sent.")
        return
    try:
        order = await trading_service.confirm(user, callback_data.token)
    except PinRequired as exc:
        await ask_for_pin(
            query, state, PinEntryForm.order, exc.user_message, token=callback_data.token
        )
        return
    await query.answer("Order sent." if message is not None else "Order sent; see /history.")
    if message is not None:
        await message.edit_text(render.order_result(order))


@routes.message(PinEntryForm.order, F.text, NOT_A_COMMAND, flags={"role": TRADE})
async def receive_pin(
    message: Message, state: FSMContext, user: UserView, trading_service: TradingService
) -> None:
    pin, plan = await read_pin(message, state)
    token = plan.get("token")
    if not isinstance(token, str):
        raise UserError("There is no order waiting for a PIN; place it again.")
    order = await trading_service.confirm(user, token, pin=pin)
    await message.answer(render.order_result(order))
