"""/backtest in chat: an admin sends a channel's Telegram export as a file with the caption
``/backtest [source name]`` and gets the summary and the equity chart back.

The file is refused before it is downloaded when its name or size cannot be an export
(``BacktestService.check_upload``); the run itself (decoding, replaying, drawing) happens off
the event loop in the service. ``/backtest`` typed as text explains how to send one.
"""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from core.errors import UserError
from handlers import backtest_render as render
from handlers.commands import Routes, in_private_chat
from services.backtest.service import BacktestService
from services.dto import UserView

PERMISSION = "signals.backtest"

routes = Routes(__name__, message=in_private_chat)


@routes.command(
    "backtest",
    "backtest a channel from its Telegram export (send the file)",
    PERMISSION,
    F.document,
    args="[source name]",
    order=49,
)
async def run_backtest(
    message: Message,
    command: CommandObject,
    user: UserView,
    bot: Bot,
    backtest_service: BacktestService,
) -> None:
    document = message.document
    assert document is not None  # the F.document filter
    backtest_service.check_upload(document.file_name, document.file_size)
    await message.answer("Backtesting the export on this bot's candles: this can take a minute.")
    downloaded = await bot.download(document)
    if downloaded is None:  # only for a destination given; none is
        raise UserError("Telegram did not hand the file over; send it again.")
    file_name = document.file_name or "result.json"
    report = await backtest_service.run(user, downloaded.read(), file_name, command.args)
    await message.answer(render.summary(report.summary))
    await bot.send_photo(
        message.chat.id,
        BufferedInputFile(report.chart, "backtest.png"),
        caption=render.chart_caption(report.summary),
    )


@routes.message(Command("backtest"), flags={"role": PERMISSION})
async def explain_backtest(message: Message) -> None:
    await message.answer(render.usage())
