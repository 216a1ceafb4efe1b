"""The Mini App's files as served under /app/ (headers that let nothing else in), and the page
in chromium before any API is reached: opened outside Telegram it asks to be opened from the
bot's Dashboard button, with Telegram's theme applied from the launch fragment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, expect

from api.webapp.routes import CONTENT_SECURITY_POLICY, mount_webapp
from tests.api.conftest import serve
from tests.webapp import harness
from tests.webapp.harness import phone
from tests.webapp.initdata import THEMES

pytestmark = pytest.mark.browser


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = FastAPI()
    mount_webapp(app)
    async with serve(app) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/app/", "text/html"),
        ("/app/app.js", "text/javascript"),
        ("/app/app.css", "text/css"),
    ],
    ids=["page", "script", "style"],
)
async def test_files_are_served_with_a_policy_that_allows_only_the_app(
    base_url: str, path: str, content_type: str
) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"


async def test_the_bare_path_leads_to_the_app_and_unknown_files_are_404(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        bare = await client.get("/app")
        missing = await client.get("/app/nothing.js")
        outside = await client.get("/app/../pyproject.toml")
    assert bare.status_code in (301, 307, 308) and bare.headers["location"].endswith("/app/")
    assert missing.status_code == 404
    assert outside.status_code == 404


async def test_opened_outside_telegram_it_points_to_the_dashboard_button(
    browser: Browser, base_url: str
) -> None:
    async with phone(browser) as mini:
        await mini.page.goto(f"{base_url}/app/")
        screen = mini.page.locator('#view[data-view="error"]')
        await expect(screen).to_contain_text("Open this from the bot's Dashboard button")
        assert not mini.requests_to("POST", "/api/v1/auth/webapp")  # nothing to sign in with
        assert mini.errors == []


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_telegram_theme_from_the_launch_fragment_is_applied(
    browser: Browser, base_url: str, theme: str
) -> None:
    params = THEMES[theme]
    other = "dark" if theme == "light" else "light"
    async with phone(browser, color_scheme=other) as mini:  # the fragment wins over the system
        await mini.page.goto(f"{base_url}/app/#tgWebAppThemeParams={_json(params)}")
        await expect(mini.page.locator('#view[data-view="error"]')).to_be_visible()
        colors = await mini.page.evaluate(
            "() => { const s = getComputedStyle(document.body);"
            " return [s.backgroundColor, s.color]; }"
        )
        assert colors == [_rgb(params["bg_color"]), _rgb(params["text_color"])]
        width = await mini.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360  # nothing wider than the phone
        assert mini.errors == []


async def test_without_telegram_the_system_scheme_picks_light_or_dark(
    browser: Browser, base_url: str
) -> None:
    backgrounds = []
    for scheme in ("light", "dark"):
        async with phone(browser, color_scheme=scheme) as mini:
            await mini.page.goto(f"{base_url}/app/")
            await expect(mini.page.locator('#view[data-view="error"]')).to_be_visible()
            backgrounds.append(
                await mini.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            )
    assert backgrounds == [_rgb("#ffffff"), _rgb("#17212b")]


def _json(params: dict[str, str]) -> str:
    from json import dumps
    from urllib.parse import quote

    return quote(dumps(params), safe="")


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_without_chromium_the_browser_tests_fail_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(harness, "CHROMIUM", str(tmp_path / "chromium"))
    with pytest.raises(pytest.fail.Exception, match="make services"):
        harness.chromium_path()
