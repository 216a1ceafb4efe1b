"""aiogram routers: read input, call one service, render.

``build_routers()`` returns fresh routers in order: errors first, fallback last.
"""

from __future__ import annotations

from aiogram import Router


def build_routers(feature_routers: list[Router]) -> list[Router]:
    """Errors first, then admin, the features' routers, /start & co, and the fallback last."""
    from handlers import admin, errors, fallback, start
    from handlers.commands import group

    return [
        errors.routes.build(),
        group("handlers.features", [admin.routes.build(), *feature_routers]),
        start.routes.build(),
        fallback.routes.build(),
    ]
