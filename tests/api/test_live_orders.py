"""Live orders through the API under the chat's rules (real ccxt against the fake exchange):
a trade key's live order is only a Confirm card in the owner's Telegram chat until pressed
there (with the PIN, as in the chat); a key made with the PIN places it at once, exactly once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy import update

from bot.app import App
from core.db.models import User
from core.domain import Role
from core.security import hash_secret
from services.api_auth import Scope
from tests.api.conftest import Api, api_settings, served
from tests.bot.accounts.conftest import FAST
from tests.bot.conftest import TRADER_ID, AppFactory
from tests.bot.trading.test_trading_bot import STATIC, add_live_account, press, say
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.telegram_api import FakeTelegramAPI

PIN: Final = "2468"
ORDER: Final = {"pair": "BTC/USDT", "side": "buy", "amount": "0.001", "account": "main"}


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(
        balances={"USDT": "10000", "BTC": "0.5"}, prices={"BTC/USDT": "50000"}
    ) as fake:
        yield fake


@pytest.fixture
async def live(
    make_app: AppFactory, exchange_api: FakeExchangeAPI, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Api]:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    exchange = {**STATIC, "api_url_override": exchange_api.url, "markets_dir": str(tmp_path)}
    app = await make_app(exchange=exchange, limits=FAST, api=api_settings())
    await app.users.grant_role(None, TRADER_ID, Role.TRADER)
    await add_live_account(app, TRADER_ID, exchange_api.api_key)
    async with app.db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.telegram_id == TRADER_ID)
            .values(pin_hash=await hash_secret(PIN))
        )
    async with served(app, clock) as api:
        yield api


async def bearer(api: Api, *, live: bool) -> dict[str, str]:
    trader = await api.app.users.get(TRADER_ID)
    assert trader is not None
    keys = api.app.services["apikey_service"]
    made = await keys.create(trader, Scope.TRADE, live=live, pin=PIN if live else None)
    tokens = (await api.client.post("/api/v1/auth/token", json={"api_key": made.secret})).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def deliver(app: App) -> None:
    while await app.outbox.drain_once():
        pass


async def test_a_live_order_waits_for_confirm_and_pin_in_telegram(
    live: Api, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    headers = await bearer(live, live=False)
    response = await live.client.post("/api/v1/orders", headers=headers, json=ORDER)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "awaiting_confirmation"
    assert exchange_api.orders == []
    await deliver(live.app)
    card = live_card(telegram_api)
    assert "Confirm live order" in card["text"]
    confirm = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await press(live.app, telegram_api, TRADER_ID, card, confirm)
    assert exchange_api.orders == []  # the PIN first, as in the chat
    await say(live.app, telegram_api, TRADER_ID, PIN)
    assert len(exchange_api.orders) == 1
    await press(live.app, telegram_api, TRADER_ID, card, confirm)  # a second press: still once
    assert len(exchange_api.orders) == 1


async def test_a_key_made_with_the_pin_places_live_at_once(
    live: Api, exchange_api: FakeExchangeAPI
) -> None:
    headers = await bearer(live, live=True)
    me = (await live.client.get("/api/v1/me", headers=headers)).json()
    assert me["live"] is True
    response = await live.client.post("/api/v1/orders", headers=headers, json=ORDER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "placed"
    assert body["order"]["is_paper"] is False
    assert len(exchange_api.orders) == 1


def live_card(telegram_api: FakeTelegramAPI) -> dict[str, object]:
    cards = [
        m
        for m in telegram_api.messages(TRADER_ID)
        if "reply_markup" in m and "Confirm live order" in str(m.get("text"))
    ]
    assert len(cards) == 1, cards
    card: dict[str, object] = cards[0]
    return card
