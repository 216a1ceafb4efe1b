"""aiogram routers: read input, call one service, render.

``build_routers()`` returns fresh routers in order: errors first, fallback last.
"""

from __future__ import annotations

from aiogram import Router


def build_routers(feature_routers: list[Router]) -> list[Router]:
    """/start & co first (every user's first words), then errors, the pasted-secret guard,
    admin and the features' routers behind one gate, and the fallback last."""
    from handlers import admin, errors, fallback, registration, secret_input, start
    from handlers.commands import group

    return [
        start.routes.build(),
        group(
            "handlers.features",
            [
                errors.routes.build(),
                secret_input.routes.build(),
                admin.routes.build(),
                registration.routes.build(),
                *feature_routers,
            ],
        ),
        fallback.routes.build(),
    ]
