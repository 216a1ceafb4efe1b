"""One way the fake HTTP servers listen: an aiohttp app on 127.0.0.1, on a free port.

``LoopbackFake`` is the lifecycle the exchange fakes share (``async with``, the recorded
requests, ``count``); each fake keeps its own fields and its ``_handle``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Self

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


@dataclass
class Recorded:
    """One request a fake received, with the API key it carried (None: none)."""

    method: str
    path: str
    api_key: str | None = None


class LoopbackFake:
    """``async with`` serves ``_handle`` on loopback (``url``); ``requests`` is what came."""

    url: str
    requests: list[Recorded]
    _runner: web.AppRunner | None

    async def _handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._runner, self.url = await serve_all(self._handle)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method.upper() and r.path == path)
