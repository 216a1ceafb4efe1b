"""aiogram routers: read input, call one service, render.

``build_routers()`` returns fresh routers in order: errors first, fallback last.
"""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    from handlers import admin, errors, fallback, start

    return [r.build() for r in (errors.routes, admin.routes, start.routes, fallback.routes)]
