"""Scores and charts: /stats <source>, /top, and the Chart buttons of /stats and /signal; an
admin's /stats with no source is the system view (``services.admin.stats``).

A chart is a PNG photo drawn off the event loop (``TrackingService`` caches it per day); the
buttons carry only what to draw, its id and the theme, and the service checks that the caller
may see the signal.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from core.domain import Role
from core.errors import UserError
from handlers import admin_render
from handlers import tracking_render as render
from handlers.commands import Routes, in_private_chat
from handlers.paging import answer_long
from handlers.tracking_callbacks import ChartCallback
from services.admin.service import AdminService
from services.charts import Theme
from services.dto import UserView
from services.tracking.service import TrackingService

routes = Routes(__name__, message=in_private_chat)


@routes.command(
    "stats",
    "a source's scores from prices (admins: the system with no source)",
    "signals.read",
    args="<source>",
    order=47,
)
async def show_stats(
    message: Message,
    command: CommandObject,
    user: UserView,
    tracking_service: TrackingService,
    admin_service: AdminService | None = None,
) -> None:
    ref = (command.args or "").strip()
    if not ref and user.role is Role.ADMIN and admin_service is not None:
        await message.answer(admin_render.system_stats(await admin_service.stats.stats(user)))
        return
    if not ref:
        raise UserError(admin_render.STATS_HINT)
    item = await tracking_service.stats(ref, user)
    await answer_long(message, render.stats(item), render.chart_buttons("source", item.source.id))


@routes.command("top", "the best sources by expectancy", "signals.read", order=48)
async def show_top(message: Message, user: UserView, tracking_service: TrackingService) -> None:
    min_signals, ranked = await tracking_service.top(user)
    await answer_long(message, render.top(min_signals, ranked))


@routes.callback_query(ChartCallback.filter(), flags={"role": "signals.read"})
async def send_chart(
    callback: CallbackQuery,
    callback_data: ChartCallback,
    user: UserView,
    bot: Bot,
    tracking_service: TrackingService,
) -> None:
    theme = Theme(callback_data.theme)
    if callback_data.kind == "source":
        png = await tracking_service.source_chart(callback_data.row_id, user, theme)
        caption = "Equity in R: each closed signal's R (bars) and the running total (line)."
    else:
        png = await tracking_service.signal_chart(user, callback_data.row_id, theme)
        caption = f"Signal #{callback_data.row_id} on its candles: entry zone, targets, stop."
    chat_id = callback.message.chat.id if callback.message else user.telegram_id
    await bot.send_photo(chat_id, BufferedInputFile(png, "chart.png"), caption=caption)
    await callback.answer()
