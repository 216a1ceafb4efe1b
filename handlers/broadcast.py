"""/broadcast <text>: a preview with Confirm and Cancel, then a progress message edited as the
copies go out (the edits are made by the broadcast watcher in ``bot.features.admin``).

The buttons carry the broadcast's id only; the service checks that the presser is the admin
who wrote it and that it is still a draft (a second press is answered, not sent twice).
"""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message

from core.domain import Role
from handlers import admin_render as render
from handlers.admin_render import BroadcastCallback
from handlers.commands import Routes, in_private_chat
from handlers.paging import answer_long
from services.admin.service import AdminService
from services.dto import UserView

routes = Routes(__name__, message=in_private_chat)


@routes.command("broadcast", "send a message to every user", Role.ADMIN, args="<text>", order=85)
async def draft_broadcast(
    message: Message, command: CommandObject, user: UserView, admin_service: AdminService
) -> None:
    draft = await admin_service.broadcasts.draft(user, command.args or "", message.chat.id)
    await answer_long(message, *render.broadcast_preview(draft))


@routes.callback_query(BroadcastCallback.filter(), flags={"role": Role.ADMIN})
async def decide_broadcast(
    callback: CallbackQuery,
    callback_data: BroadcastCallback,
    user: UserView,
    admin_service: AdminService,
) -> None:
    broadcasts = admin_service.broadcasts
    held = callback.message if isinstance(callback.message, Message) else None
    if callback_data.action == "send":
        progress = await broadcasts.confirm(
            user, callback_data.broadcast_id, held.message_id if held else None
        )
        await callback.answer("Sending.")
    else:
        progress = await broadcasts.cancel(user, callback_data.broadcast_id)
        await callback.answer("Cancelled.")
    if held is not None:
        await held.edit_text(render.broadcast_progress(progress))
