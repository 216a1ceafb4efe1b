"""A trader's own figures in chat: /status, /profit [days], /daily /weekly /monthly [n],
/performance and /trades [n] (freqtrade's reports, over the trader's plans, paper apart from
live).

Each handler reads its one optional number, asks ``ReportService`` (which reads only the
caller's plans) and sends the rendered report, split into Telegram-sized messages when long.
A number out of range is answered with what to send and reads nothing.
"""

from __future__ import annotations

from typing import Final

from aiogram.filters import CommandObject
from aiogram.types import Message

from handlers import reports_render as render
from handlers.commands import Routes, in_private_chat
from services.dto import UserView
from services.reports.dto import Unit
from services.reports.service import MAX_DAYS, PERIODS, TRADES, ReportService, parse_count
from services.text import split_message

routes = Routes(__name__, message=in_private_chat)

READ: Final = "reports.read"


async def _send(message: Message, text: str) -> None:
    for chunk in split_message(text):
        await message.answer(chunk)


@routes.command("status", "your open plans: entry, price now, P/L, next target", READ, order=50)
async def show_status(message: Message, user: UserView, report_service: ReportService) -> None:
    await _send(message, render.status(await report_service.status(user)))


@routes.command(
    "profit",
    "realised and unrealised P/L, win rate, expectancy, best and worst trade",
    READ,
    args="[days]",
    order=51,
)
async def show_profit(
    message: Message, command: CommandObject, user: UserView, report_service: ReportService
) -> None:
    days = None
    if command.args and command.args.strip():
        days = parse_count(command.args, default=30, most=MAX_DAYS, what="days")
    await _send(message, render.profit(await report_service.profit(user, days), days))


async def _periods(
    message: Message, args: str | None, user: UserView, service: ReportService, unit: Unit
) -> None:
    default, most = PERIODS[unit]
    count = parse_count(args, default=default, most=most, what=render.UNIT_WORDS[unit])
    await _send(message, render.periods(await service.periods(user, unit, count), count))


@routes.command("daily", "P/L per day (in your time zone)", READ, args="[days]", order=52)
async def show_daily(
    message: Message, command: CommandObject, user: UserView, report_service: ReportService
) -> None:
    await _periods(message, command.args, user, report_service, "day")


@routes.command("weekly", "P/L per week, from Monday", READ, args="[weeks]", order=53)
async def show_weekly(
    message: Message, command: CommandObject, user: UserView, report_service: ReportService
) -> None:
    await _periods(message, command.args, user, report_service, "week")


@routes.command("monthly", "P/L per month", READ, args="[months]", order=54)
async def show_monthly(
    message: Message, command: CommandObject, user: UserView, report_service: ReportService
) -> None:
    await _periods(message, command.args, user, report_service, "month")


@routes.command("performance", "P/L per pair and per source", READ, order=55)
async def show_performance(
    message: Message, user: UserView, report_service: ReportService
) -> None:
    await _send(message, render.performance(await report_service.performance(user)))


@routes.command("trades", "your latest closed trades", READ, args="[n]", order=56)
async def show_trades(
    message: Message, command: CommandObject, user: UserView, report_service: ReportService
) -> None:
    default, most = TRADES
    count = parse_count(command.args, default=default, most=most, what="trades")
    await _send(message, render.trades(await report_service.trades(user, count)))
