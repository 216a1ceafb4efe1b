"""T11 beyond Binance: /connect reads a Bybit key's permissions and IP binding
(``GET /v5/user/query-api``) and an OKX key's (``GET /api/v5/account/config``) through real ccxt
against ``FakeBybitAPI`` and ``FakeOkxAPI``, and refuses a key that may withdraw, or that works
from any IP while ``REQUIRE_KEY_IP_RESTRICTION`` is on, storing nothing and deleting the
messages that carried it. An exchange that reports neither keeps today's behaviour (the key is
accepted on the prompt's advice)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import App
from services.exchange.ccxt_quirks import ExchangeQuirks, quirks_for
from services.exchange.key_checks import KeyCheck
from tests.bot.accounts.conftest import FAST, PRICES, button_data
from tests.bot.accounts.test_connect import SECRET, deleted_ids, last_text, live_accounts, say
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.fakes.exchange_bybit import QUERY_API, FakeBybitAPI
from tests.fakes.exchange_okx import ACCOUNT_CONFIG, FakeOkxAPI
from tests.fakes.telegram_api import FakeTelegramAPI


@pytest.fixture
async def bybit_api() -> AsyncIterator[FakeBybitAPI]:
    async with FakeBybitAPI() as fake:
        yield fake


PASSPHRASE = "okx-passphrase-123"


@pytest.fixture
async def okx_api() -> AsyncIterator[FakeOkxAPI]:
    async with FakeOkxAPI() as fake:
        yield fake


async def venue_app(
    make_app: AppFactory, fake: FakeBybitAPI | FakeOkxAPI, *, require_ip: bool = True
) -> App:
    exchange = {"api_url_override": fake.url, "price_feed": "static", "static_prices": PRICES}
    return await make_app(
        exchange=exchange,
        limits=FAST,
        security={"require_key_ip_restriction": require_ip},
    )


async def connect_to(
    app: App, api: FakeTelegramAPI, key: str, exchange: str = "bybit"
) -> list[int]:
    """Walk /connect for ``exchange`` (live); return the ids of the messages that carried
    secrets (OKX asks for its passphrase too)."""
    await say(app, api, "/connect")
    await say(app, api, exchange.upper())
    message = api.messages(TRADER_ID)[-1]
    assert button_data(message) == {exchange: f"xp:{exchange}"}
    await press(app, api, message, exchange)
    await press(app, api, api.messages(TRADER_ID)[-1], "Live")
    sent = [await say(app, api, key), await say(app, api, SECRET)]
    if exchange == "okx":
        sent.append(await say(app, api, PASSPHRASE))
    return sent


async def press(app: App, api: FakeTelegramAPI, message: dict[str, Any], label: str) -> None:
    await feed(app, api.updates.callback(TRADER_ID, message, button_data(message)[label]))


async def test_a_bybit_key_for_trading_only_bound_to_an_ip_is_stored(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, bybit_api: FakeBybitAPI
) -> None:
    app = await venue_app(make_app, bybit_api)
    secret_ids = await connect_to(app, telegram_api, bybit_api.api_key)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "Connected <b>bybit</b>" in last_text(telegram_api)
    [row] = await live_accounts(app)
    assert row.exchange_id == "bybit"
    assert bybit_api.count("GET", QUERY_API) >= 1  # the permissions were read, not assumed


async def test_a_bybit_key_that_may_withdraw_is_refused(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, bybit_api: FakeBybitAPI
) -> None:
    bybit_api.withdraw = True
    app = await venue_app(make_app, bybit_api)
    secret_ids = await connect_to(app, telegram_api, bybit_api.api_key)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    reply = last_text(telegram_api)
    assert "allowed to withdraw" in reply and "Nothing was stored" in reply
    assert await live_accounts(app) == []


@pytest.mark.parametrize("ips", [["*"], []], ids=["star", "none"])
async def test_a_bybit_key_bound_to_no_ip_is_refused(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, bybit_api: FakeBybitAPI, ips: list[str]
) -> None:
    bybit_api.ips = ips
    app = await venue_app(make_app, bybit_api)
    secret_ids = await connect_to(app, telegram_api, bybit_api.api_key)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    reply = last_text(telegram_api)
    assert "works from any IP address" in reply and "Nothing was stored" in reply
    assert await live_accounts(app) == []


async def test_a_bybit_key_bound_to_no_ip_is_stored_when_the_rule_is_off(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, bybit_api: FakeBybitAPI
) -> None:
    """``REQUIRE_KEY_IP_RESTRICTION=false``: the IP binding is not required; a key that may
    withdraw is still refused."""
    bybit_api.ips = ["*"]
    bybit_api.withdraw = True
    app = await venue_app(make_app, bybit_api, require_ip=False)
    await connect_to(app, telegram_api, bybit_api.api_key)
    assert "allowed to withdraw" in last_text(telegram_api)
    bybit_api.withdraw = False
    await connect_to(app, telegram_api, bybit_api.api_key)
    assert "Connected <b>bybit</b>" in last_text(telegram_api)
    assert len(await live_accounts(app)) == 1


async def test_a_wrong_bybit_key_is_refused_before_its_permissions_are_asked(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, bybit_api: FakeBybitAPI
) -> None:
    app = await venue_app(make_app, bybit_api)
    await connect_to(app, telegram_api, "wrong-bybit-key-000000")
    assert "refused these keys" in last_text(telegram_api)
    assert await live_accounts(app) == []


# -- okx ----------------------------------------------------------------------------------------


async def test_an_okx_key_for_trading_only_bound_to_an_ip_is_stored(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, okx_api: FakeOkxAPI
) -> None:
    app = await venue_app(make_app, okx_api)
    secret_ids = await connect_to(app, telegram_api, okx_api.api_key, "okx")
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "Connected <b>okx</b>" in last_text(telegram_api)
    [row] = await live_accounts(app)
    assert row.exchange_id == "okx" and row.passphrase_enc is not None
    assert okx_api.count("GET", ACCOUNT_CONFIG) >= 1  # the permissions were read, not assumed


async def test_an_okx_key_that_may_withdraw_is_refused(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, okx_api: FakeOkxAPI
) -> None:
    okx_api.withdraw = True
    app = await venue_app(make_app, okx_api)
    secret_ids = await connect_to(app, telegram_api, okx_api.api_key, "okx")
    assert set(secret_ids) <= deleted_ids(telegram_api)
    reply = last_text(telegram_api)
    assert "allowed to withdraw" in reply and "Nothing was stored" in reply
    assert await live_accounts(app) == []


async def test_an_okx_key_bound_to_no_ip_is_refused(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, okx_api: FakeOkxAPI
) -> None:
    okx_api.ip = ""
    app = await venue_app(make_app, okx_api)
    secret_ids = await connect_to(app, telegram_api, okx_api.api_key, "okx")
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "works from any IP address" in last_text(telegram_api)
    assert await live_accounts(app) == []


def test_exchanges_that_expose_nothing_keep_the_unified_way() -> None:
    """Venues without a key-information endpoint (mexc, bitstamp) say nothing (None, None);
    every venue with one gets its own check (services/exchange/key_checks.py)."""
    assert type(quirks_for("bitstamp").key_check) is KeyCheck
    assert type(quirks_for("mexc").key_check) is KeyCheck
    for venue in ("binance", "bybit", "okx", "kraken", "kucoin"):
        assert type(quirks_for(venue).key_check) is not KeyCheck
    assert type(quirks_for("bybit")) is ExchangeQuirks  # nothing else differs there
