"""The trading PIN guess limit through the whole bot (issue 13, defect 3): wrong PINs typed after
Confirm on five plans and after /pin count against one per-user limit, then the right PIN is
refused too and the user is told until when PIN entry is locked; nothing reaches the exchange.
(The lock running out is tested on the services with a fake clock:
tests/integration/trading/test_pin_limit.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.app import App
from core.db.models import User
from core.security import hash_secret
from tests.bot.accounts.conftest import FAST
from tests.bot.conftest import TRADER_ID, AppFactory
from tests.bot.trading.test_trading_bot import STATIC, add_live_account, press, say
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.telegram_api import FakeTelegramAPI

PIN = "2468"
LOCKED = re.compile(r"PIN entry is locked until \d\d:\d\d UTC \(in 1[45] min\)")


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(
        balances={"USDT": "10000", "BTC": "0.5"}, prices={"BTC/USDT": "50000"}
    ) as fake:
        yield fake


@pytest.fixture
async def app(
    make_app: AppFactory, exchange_api: FakeExchangeAPI, tmp_path: Path
) -> AsyncIterator[App]:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    exchange = {**STATIC, "api_url_override": exchange_api.url, "markets_dir": str(tmp_path)}
    app = await make_app(exchange=exchange, limits=FAST)  # many updates from one user
    await add_live_account(app, TRADER_ID, exchange_api.api_key)
    async with app.db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.telegram_id == TRADER_ID)
            .values(pin_hash=await hash_secret(PIN))
        )
    yield app


async def confirm_with(
    app: App, api: FakeTelegramAPI, exchange_api: FakeExchangeAPI, pins: list[str]
) -> list[str]:
    """/buy on the live account, then Confirm and a PIN, once per PIN; the replies to the PINs."""
    assert "Confirm live order" in await say(app, api, TRADER_ID, "/buy btc 0.001 @main")
    message = api.messages(TRADER_ID)[-1]
    confirm = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    replies = []
    for pin in pins:
        await press(app, api, TRADER_ID, message, confirm)
        replies.append(await say(app, api, TRADER_ID, pin))
    return replies


async def test_guesses_on_five_plans_and_pin_lock_the_user_then_the_right_pin_is_refused(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    first = await confirm_with(app, telegram_api, exchange_api, ["1111", "2222", "3333"])
    assert "4 more wrong PINs lock PIN entry for 15 minutes" in first[0]
    assert "three times" in first[2]
    await say(app, telegram_api, TRADER_ID, "/pin")  # asks for the current PIN first
    assert "1 more wrong PIN lock" in await say(app, telegram_api, TRADER_ID, "4444")
    [locking] = await confirm_with(app, telegram_api, exchange_api, ["5555"])
    assert "That PIN is not right. Too many PIN attempts" in locking and LOCKED.search(locking)
    later: list[str] = []
    for _ in range(3):  # plans 3 to 5, three guesses each
        later += await confirm_with(app, telegram_api, exchange_api, ["6666", "7777", "8888"])
    assert all(LOCKED.search(reply) for reply in later)
    [right] = await confirm_with(app, telegram_api, exchange_api, [PIN])
    assert LOCKED.search(right) and "Nothing was done" in right
    await say(app, telegram_api, TRADER_ID, "/pin")
    assert LOCKED.search(await say(app, telegram_api, TRADER_ID, PIN))
    assert exchange_api.orders == []
