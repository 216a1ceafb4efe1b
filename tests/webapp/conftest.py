"""The Mini App's tests: the bot's fixtures (fake Bot API, app factory) and one headless
chromium for the session (Playwright; Debian's build, see ``harness.chromium_path``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.bot.conftest import app, make_app, telegram_api
from tests.webapp.harness import chromium_path

__all__ = ["app", "browser", "make_app", "telegram_api"]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        await browser.close()
