"""One way the fake HTTP servers listen: an aiohttp app on 127.0.0.1, on a free port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve_all(handler: Handler) -> tuple[web.AppRunner, str]:
    """Serves every method and path with ``handler``; returns the runner (clean it up to stop)
    and the base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"
