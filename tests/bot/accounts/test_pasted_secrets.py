"""A key or secret pasted outside /connect is deleted, kept nowhere, sent to no model and never
logged; the user is told why (issue 13, defect 5). Through the whole bot with the AI fallback on
(FakeOpenAI), so a plain-language command would otherwise store the text and send it there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from bot.app import App
from core.db.models import AICommand
from handlers.secret_input import PASTE_DELETED
from tests.bot.accounts.conftest import PRICES
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.telegram_api import FakeTelegramAPI

API_KEY: Final = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
PEM: Final = (
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5yzQpnXq2Lw9vN0aoAoGCCqGSM49\n"
    "-----END EC PRIVATE KEY-----"
)
PASTES: Final = {
    "api key": API_KEY,
    "key in a sentence": f"my binance key is {API_KEY} buy 0.1 btc with it",
    "pem block": PEM,
}


@pytest.fixture
async def openai_api() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as api:
        yield api


@pytest.fixture
async def ai_app(make_app: AppFactory, openai_api: FakeOpenAI) -> App:
    return await make_app(
        ai={"openai_api_key": "test-key", "openai_base_url": openai_api.base_url},
        exchange={"price_feed": "static", "static_prices": PRICES},
        limits={"rate_limit_burst": 200},
    )


async def stored_commands(app: App) -> int:
    async with app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(AICommand)) or 0)


@pytest.mark.parametrize("text", PASTES.values(), ids=PASTES.keys())
async def test_pasted_secret_is_deleted_and_kept_nowhere(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI, text: str
) -> None:
    update = telegram_api.updates.message(TRADER_ID, text)
    with capture_logs() as logs:
        await feed(ai_app, update)
    deleted = {int(call["message_id"]) for call in telegram_api.calls_of("deleteMessage")}
    assert update["message"]["message_id"] in deleted
    [reply] = telegram_api.messages(TRADER_ID)
    assert reply["text"] == PASTE_DELETED
    assert await stored_commands(ai_app) == 0
    assert openai_api.requests == []
    secret = API_KEY if API_KEY in text else "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5yzQpn"
    assert not [call for call in telegram_api.calls if secret in repr(call)]
    assert logs and not [line for line in logs if secret in repr(line)]


async def test_ordinary_command_is_still_read(ai_app: App, telegram_api: FakeTelegramAPI) -> None:
    """The guard lets other text by (the keys /connect asks for: tests/bot/accounts/test_connect*,
    whose keys look like secrets, still reach /connect)."""
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, "buy 0.1 btc"))
    assert await stored_commands(ai_app) == 1
    assert telegram_api.calls_of("deleteMessage") == []
    assert PASTE_DELETED not in [m["text"] for m in telegram_api.messages(TRADER_ID)]


async def test_a_paste_the_bot_cannot_delete_is_told_and_still_kept_nowhere(
    ai_app: App, openai_api: FakeOpenAI, telegram_api: FakeTelegramAPI
) -> None:
    """T7: when Telegram refuses the delete (older than 48 h, rights), the user is told to
    delete the key and replace it; nothing is stored or sent on all the same."""
    telegram_api.fail("deleteMessage", 400, "Bad Request: message can't be deleted")
    await feed(ai_app, telegram_api.updates.message(TRADER_ID, f"key {API_KEY}"))
    texts = [m["text"] for m in telegram_api.messages(TRADER_ID)]
    assert any("could not delete your message" in t for t in texts)
    assert await stored_commands(ai_app) == 0
    assert openai_api.requests == []
    assert not [call for call in telegram_api.calls if API_KEY in repr(call)]
