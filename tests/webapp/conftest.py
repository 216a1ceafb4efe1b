"""The Mini App's tests: the bot's fixtures (fake Bot API, app factory), one headless chromium
for the session (Playwright; Debian's build, see ``harness.chromium_path``), and ``dashboard``:
a seeded bot with its API served by uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.api.conftest import serve
from tests.bot.conftest import AppFactory, app, make_app, telegram_api
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.webapp.dashboard import SETTINGS, Dashboard, api_for, bare, fill
from tests.webapp.harness import chromium_path

__all__ = ["app", "browser", "make_app", "telegram_api"]


def pytest_configure(config: pytest.Config) -> None:
    # registered here, beside the tests that carry it; not deselected anywhere, so `make test`
    # runs them (`-m browser` runs only them, `-m "not browser"` skips chromium)
    config.addinivalue_line("markers", "browser: drives the Mini App in headless chromium")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        await browser.close()


@pytest.fixture
async def dashboard(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, tmp_path: Path
) -> AsyncIterator[Dashboard]:
    """The bot seeded (tests/webapp/dashboard.py) and its API on a real uvicorn."""
    app = await make_app(
        **{**SETTINGS, "tracking": {**SETTINGS["tracking"], "candles_dir": tmp_path}}
    )
    plan_id = await fill(app, telegram_api, tmp_path)
    token = app.settings.telegram.bot_token
    assert token is not None
    async with serve(api_for(app)) as base:
        yield Dashboard(app, f"{base}/app/", token.get_secret_value(), plan_id)


@pytest.fixture
async def bare_dashboard(make_app: AppFactory) -> AsyncIterator[Dashboard]:
    """An unseeded bot (one admin, nothing else) and its API on a real uvicorn."""
    async with bare(make_app) as served:
        yield served
