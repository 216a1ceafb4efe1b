"""Every key injected into handler data, with its type (the DI contract for handlers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.dispatcher.middlewares.data import MiddlewareData

if TYPE_CHECKING:
    from core.config import Settings
    from services.dto import UserView
    from services.users import UserService


class HandlerData(MiddlewareData, total=False):
    settings: Settings
    user: UserView | None
    user_created: bool
    user_service: UserService
    update_id: int
