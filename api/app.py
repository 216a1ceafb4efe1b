"""``create_api(deps)``: the FastAPI app over the services the bot's composition root built.

Routes: ``/api/v1/...`` (auth, reads, trading, admin), ``/healthz``, ``/readyz``, ``/metrics``,
the OpenAPI document at ``/openapi.json`` and its page at ``/docs``; the Mini App under
``/app/`` when ``api.webapp.routes`` is present. CORS only for ``CORS_ORIGINS`` (none by
default). Every error leaves in one shape (``api.errors``).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Final

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.deps import ApiDeps
from api.routes import admin, auth, ops, reads, trading

PREFIX: Final = "/api/v1"
DESCRIPTION: Final = """The trading-signals bot's REST API.

Sign in with a personal API key made in the chat (`/apikey read` or `/apikey trade`):
`POST /api/v1/auth/token` gives an access token (15 minutes) and a refresh token (30 days,
used up by each refresh). Send `Authorization: Bearer <access token>`. Roles and ownership
follow the chat's permission table; someone else's object is 404. Decimal figures are JSON
strings. Errors: `{"error": {"code": ..., "message": ...}}`.
"""


def create_api(deps: ApiDeps) -> FastAPI:
    app = FastAPI(
        title="Trading-signals bot API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.deps = deps
    errors.install(app)
    if deps.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=deps.settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            max_age=600,
        )
    for module in (auth, reads, trading, admin):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(ops.router)
    mount = _webapp_mount()
    if mount is not None:
        mount(app)
    return app


def _webapp_mount() -> Callable[[FastAPI], None] | None:
    """The Mini App's ``mount_webapp`` when its package is installed (it serves ``/app/``)."""
    if importlib.util.find_spec("api.webapp") is None:
        return None
    if importlib.util.find_spec("api.webapp.routes") is None:
        return None
    module = importlib.import_module("api.webapp.routes")
    mount: Callable[[FastAPI], None] = module.mount_webapp
    return mount
