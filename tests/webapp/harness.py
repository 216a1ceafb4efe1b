"""What the browser tests run on: an ASGI app served by a real uvicorn on 127.0.0.1 (in the
test's event loop, so it shares the database engine with the test), and Debian's chromium
driven by Playwright at a phone's size, recording what went wrong in the page.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
import uvicorn
from playwright.async_api import Browser, ConsoleMessage, Page, Request, expect

CHROMIUM: Final = "/usr/bin/chromium"
PHONE: Final = {"width": 360, "height": 640}
START_TIMEOUT_S: Final = 10.0
# Playwright's waits end as soon as the page is there; the bound is for a loaded CI machine
# drawing charts (expect's default, 5 s, is tight on two busy cores)
expect.set_options(timeout=15_000)


def chromium_path() -> str:
    """Debian's chromium; the test fails (never skips) without it: the issue requires the run."""
    path = shutil.which("chromium") or CHROMIUM
    if not Path(path).is_file():
        pytest.fail(
            f"chromium is missing (looked for `chromium` on PATH and {CHROMIUM}): the Mini App's "
            "browser tests need it; `make services` installs it (apt-get install chromium)",
            pytrace=False,
        )
    return path


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()  # its start-up error
                    raise RuntimeError("uvicorn stopped before serving")
                await asyncio.sleep(0.01)  # readiness poll of the server we just started
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class MiniApp:
    """A phone-sized page with what it logged as an error and the requests it made."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def requests_to(self, method: str, path_end: str) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.method == method and r.url.split("?", 1)[0].endswith(path_end)
        ]


@asynccontextmanager
async def phone(browser: Browser, color_scheme: str = "light") -> AsyncIterator[MiniApp]:
    """A fresh browser context the size of a phone."""
    context = await browser.new_context(
        viewport=PHONE,  # type: ignore[arg-type]  # a ViewportSize TypedDict
        is_mobile=True,
        has_touch=True,
        color_scheme=color_scheme,  # type: ignore[arg-type]  # "light" | "dark"
    )
    page = await context.new_page()
    mini = MiniApp(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            mini.errors.append(message.text)

    def on_request(request: Request) -> None:
        mini.requests.append(request)

    page.on("console", on_console)
    page.on("pageerror", lambda error: mini.errors.append(str(error)))
    page.on("request", on_request)
    try:
        yield mini
    finally:
        await context.close()
