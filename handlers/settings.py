"""/settings: the user's own settings. ``/settings`` shows them; ``/settings tz <zone>`` sets
the time zone reports are read in (``Area/City`` or ``UTC±h``). A zone the service does not
know is answered with what to send and changes nothing; so is a setting that does not exist.
"""

from __future__ import annotations

from typing import Final

from aiogram.filters import CommandObject
from aiogram.types import Message

from core.errors import UserError
from handlers import reports_render as render
from handlers.commands import Routes, in_private_chat
from services.dto import UserView
from services.reports.service import ReportService

routes = Routes(__name__, message=in_private_chat)

MANAGE: Final = "settings.manage"
ZONE_WORDS: Final = frozenset({"tz", "timezone", "zone"})


@routes.command(
    "settings",
    "your settings; /settings tz sets your time zone",
    MANAGE,
    args="[tz <zone>]",
    order=57,
)
async def settings(
    message: Message, command: CommandObject, user: UserView, report_service: ReportService
) -> None:
    name, _, value = (command.args or "").strip().partition(" ")
    if not name:
        await message.answer(render.settings(await report_service.settings(user)))
        return
    if name.casefold() not in ZONE_WORDS:
        raise UserError(
            f"There is no setting {name[:20]!r} here. Send /settings tz Europe/Berlin to set "
            "your time zone; /following has your channels' trading settings."
        )
    await message.answer(render.zone_set(await report_service.set_zone(user, value)))
