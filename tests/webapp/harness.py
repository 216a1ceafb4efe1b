"""What the browser tests drive: Debian's chromium through Playwright at a phone's size,
recording what went wrong in the page. (The API under it runs on a real uvicorn on 127.0.0.1
through the API tests' ``serve``, in the test's event loop, sharing the test's database.)
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, expect

CHROMIUM: Final = "/usr/bin/chromium"
PHONE: Final = {"width": 360, "height": 640}
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
