"""The internal HTTP server of ``tsbot run``: ``/healthz`` and ``/metrics``, in both modes.

It listens on ``HEALTH_HOST:HEALTH_PORT`` (loopback by default), never on the public webhook
port: metrics name users' activity and must not be reachable from the internet, and the
Docker HEALTHCHECK needs one endpoint that polling mode serves too. ``/healthz`` is 200 only
while the database and (when configured) Redis answer, 503 otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from aiohttp import web

from bot.app import App

log = structlog.get_logger(__name__)


def health_app(app: App) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        database = await app.db.health()
        redis = await app.kv.health()
        body = {
            "database": "ok" if database else "down",
            "redis": ("ok" if redis else "down") if app.kv.is_redis else "memory",
        }
        return web.json_response(body, status=200 if database and redis else 503)

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=app.metrics.render(), content_type="text/plain")

    web_app = web.Application(client_max_size=1024)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    return web_app


@asynccontextmanager
async def health_server(app: App, port: int | None = None) -> AsyncIterator[None]:
    """Serve ``health_app`` for as long as the block runs (on HEALTH_PORT unless ``port``)."""
    host, port = app.settings.health.host, port or app.settings.health.port
    runner = web.AppRunner(health_app(app), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("health_server_started", host=host, port=port)
        yield
    finally:
        await runner.cleanup()
