"""The Dashboard menu button: set at start from WEBAPP_URL, left alone without it, and a
refusal from Telegram logged without stopping the start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from core.config import load_settings
from core.config_webapp import WebAppSettings
from core.errors import ConfigError
from tests.bot.conftest import AppFactory
from tests.fakes.telegram_api import FakeTelegramAPI

URL = "https://bot.example.com/app/"


async def test_webapp_url_becomes_the_dashboard_menu_button(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(webapp={"url": URL})
    await app.on_start()
    call = telegram_api.last("setChatMenuButton")
    assert "chat_id" not in call  # the default button of every private chat
    assert call["menu_button"] == {"type": "web_app", "text": "Dashboard", "web_app": {"url": URL}}


async def test_without_webapp_url_the_menu_button_is_left_alone(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app()
    await app.on_start()
    assert telegram_api.calls_of("setChatMenuButton") == []


async def test_a_refused_menu_button_is_logged_and_the_start_goes_on(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(webapp={"url": URL})
    telegram_api.fail("setChatMenuButton", 400, "Bad Request: BUTTON_URL_INVALID")
    with capture_logs() as events:
        await app.on_start()
    assert [e["event"] for e in events if e["event"].startswith("menu_button")] == [
        "menu_button_failed"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", None), ("  ", None), (URL, URL), (f" {URL} ", URL)],
    ids=["empty", "blank", "https", "padded"],
)
def test_webapp_url_reads_https_or_nothing(value: str, expected: str | None) -> None:
    assert WebAppSettings(_env_file=None, WEBAPP_URL=value).url == expected


@pytest.mark.parametrize("value", ["http://bot.example.com/app/", "bot.example.com", "https://"])
def test_webapp_url_refuses_what_telegram_would_not_open(value: str) -> None:
    with pytest.raises(ValidationError, match="https://"):
        WebAppSettings(_env_file=None, WEBAPP_URL=value)


def test_a_bad_webapp_url_stops_start_up_with_one_line_naming_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, webapp={"url": "http://bot.example.com/app/"})
    assert caught.value.problems == [
        "WEBAPP_URL: must be the Mini App's public https:// address (Telegram opens no other)"
    ]
