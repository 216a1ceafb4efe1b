"""An admin's Approve / Refuse on a newcomer (``REGISTRATION=approval``).

The buttons carry the newcomer's row id only (``AccessCallback``); the handler flag and
``UserService.decide`` both check that the presser is an admin, and a second press (by this or
another admin) is answered "already decided" and changes nothing.
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from handlers import access_render
from handlers.access_render import AccessCallback
from handlers.commands import Routes
from services.dto import UserView
from services.users import UserService

routes = Routes(__name__)


@routes.callback_query(AccessCallback.filter(), flags={"role": "users.manage"})
async def decide_access(
    query: CallbackQuery,
    callback_data: AccessCallback,
    user: UserView,
    user_service: UserService,
) -> None:
    """The notice then says what was decided, without its buttons."""
    decided = await user_service.decide(user, callback_data.user_id, approve=callback_data.approve)
    await query.answer("Let in." if callback_data.approve else "Refused.")
    if isinstance(query.message, Message):  # not an inaccessible (too old) message
        await query.message.edit_text(access_render.decision_done(decided))
