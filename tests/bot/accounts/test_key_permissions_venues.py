"""T11 on every other offered venue: /connect reads a key's withdraw right (and its IP binding
where the venue reports one) from KuCoin, Kraken, Coinbase, Bitget, HTX and Bitfinex through
real ccxt against ``FakeVenueAPI``, refusing a key that may withdraw or that works from any IP
and storing nothing; a trading-only, IP-bound key is stored. A venue that cannot tell a key's
withdraw right (bitstamp) takes no live keys by default, and takes one only when the operator
allows it (``UNCHECKED_KEY_EXCHANGES``) and the user answers yes to "withdrawals off"."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry
from core.errors import UserError
from services.accounts import UNCHECKED_NOT_CONFIRMED, AccountService, SealedKeys
from tests.bot.accounts.conftest import FAST, PRICES, button_data
from tests.bot.accounts.test_connect import deleted_ids, last_text, live_accounts, say
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.fakes.exchange_keyinfo import VENUES, FakeVenueAPI, saved_market
from tests.fakes.telegram_api import FakeTelegramAPI

CHECKED = ["kucoin", "kraken", "coinbase", "bitget", "htx", "bitfinex"]
WITH_IPS = [v for v in CHECKED if VENUES[v].reports_ips]
PASSPHRASE = "venue-passphrase-123"
# base64 as Kraken secrets are (ccxt decodes it); no "=" padding, which ccxt coinbase takes
# for a v2 cloud (CDP) key
SECRET = base64.b64encode(b"fake-secret-do-not-leak-9f8e7d").decode()
NEEDS_PASSPHRASE = {"kucoin", "bitget"}


@pytest.fixture
async def venue_api(request: pytest.FixtureRequest) -> AsyncIterator[FakeVenueAPI]:
    async with FakeVenueAPI(request.param) as fake:
        yield fake


async def venue_app(
    make_app: AppFactory, fake: FakeVenueAPI, tmp_path: Path, **sections: dict[str, Any]
) -> App:
    (tmp_path / f"{fake.venue_id}.json").write_text(json.dumps(saved_market(fake.venue_id)))
    exchange = {
        "api_url_override": fake.url,
        "markets_dir": str(tmp_path),
        "price_feed": "static",
        "static_prices": PRICES,
    }
    return await make_app(exchange=exchange, limits=FAST, **sections)


async def press(app: App, api: FakeTelegramAPI, message: dict[str, Any], label: str) -> None:
    await feed(app, api.updates.callback(TRADER_ID, message, button_data(message)[label]))


async def pick(app: App, api: FakeTelegramAPI, venue: str) -> None:
    await say(app, api, "/connect")
    await say(app, api, venue.upper())
    await press(app, api, api.messages(TRADER_ID)[-1], venue)


async def send_keys(app: App, api: FakeTelegramAPI, venue: str, key: str) -> list[int]:
    sent = [await say(app, api, key), await say(app, api, SECRET)]
    if venue in NEEDS_PASSPHRASE:
        sent.append(await say(app, api, PASSPHRASE))
    return sent


async def connect_to(app: App, api: FakeTelegramAPI, fake: FakeVenueAPI) -> list[int]:
    await pick(app, api, fake.venue_id)
    return await send_keys(app, api, fake.venue_id, fake.api_key)


@pytest.mark.parametrize("venue_api", CHECKED, indirect=True)
async def test_a_trading_only_key_bound_to_an_ip_is_stored(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, venue_api: FakeVenueAPI, tmp_path: Path
) -> None:
    app = await venue_app(make_app, venue_api, tmp_path)
    secret_ids = await connect_to(app, telegram_api, venue_api)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert f"Connected <b>{venue_api.venue_id}</b>" in last_text(telegram_api)
    [row] = await live_accounts(app)
    assert row.exchange_id == venue_api.venue_id
    assert venue_api.key_info_calls >= 1  # the permissions were read, not assumed


@pytest.mark.parametrize("venue_api", CHECKED, indirect=True)
async def test_a_key_that_may_withdraw_is_refused(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, venue_api: FakeVenueAPI, tmp_path: Path
) -> None:
    venue_api.withdraw = True
    app = await venue_app(make_app, venue_api, tmp_path)
    secret_ids = await connect_to(app, telegram_api, venue_api)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    reply = last_text(telegram_api)
    assert "allowed to withdraw" in reply and "Nothing was stored" in reply
    assert await live_accounts(app) == []


@pytest.mark.parametrize("venue_api", WITH_IPS, indirect=True)
async def test_a_key_bound_to_no_ip_is_refused(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, venue_api: FakeVenueAPI, tmp_path: Path
) -> None:
    venue_api.ips = []
    app = await venue_app(make_app, venue_api, tmp_path)
    secret_ids = await connect_to(app, telegram_api, venue_api)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    reply = last_text(telegram_api)
    assert "works from any IP address" in reply and "Nothing was stored" in reply
    assert await live_accounts(app) == []


@pytest.mark.parametrize("venue_api", ["kraken"], indirect=True)
async def test_a_secret_the_venue_cannot_sign_with_is_refused_plainly(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, venue_api: FakeVenueAPI, tmp_path: Path
) -> None:
    """Kraken secrets are base64: ccxt fails to sign with another (a ValueError, not an
    exchange error). The user is told so, nothing is stored, and nothing reached the venue."""
    app = await venue_app(make_app, venue_api, tmp_path)
    await pick(app, telegram_api, "kraken")
    secret_ids = [await say(app, telegram_api, venue_api.api_key)]
    secret_ids.append(await say(app, telegram_api, "not-base64-secret-9f8e7d6c5b4a!"))
    assert set(secret_ids) <= deleted_ids(telegram_api)
    reply = last_text(telegram_api)
    assert "could not sign a request with this secret" in reply and "Nothing was stored" in reply
    assert venue_api.requests == [] and await live_accounts(app) == []


# -- a venue that cannot tell a key's withdraw right -------------------------------------------


@pytest.mark.parametrize("venue_api", ["bitstamp"], indirect=True)
async def test_an_unchecked_venue_takes_no_live_keys_by_default(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, venue_api: FakeVenueAPI, tmp_path: Path
) -> None:
    app = await venue_app(make_app, venue_api, tmp_path)
    await pick(app, telegram_api, "bitstamp")
    reply = shown(telegram_api)  # the exchange picker, edited into the refusal
    assert "cannot check whether a bitstamp key may withdraw" in reply
    assert "Nothing was stored" in reply and not button_data_or_none(telegram_api)
    await say(app, telegram_api, venue_api.api_key)  # the form is gone: the key is not read
    assert venue_api.requests == [] and await live_accounts(app) == []
    # nor can the service be walked around: sealed keys for it are refused before any call
    user = await app.users.get(TRADER_ID)
    assert user is not None
    accounts: AccountService = app.services["account_service"]
    keys = SealedKeys(
        "bitstamp",
        accounts.seal(venue_api.api_key),
        accounts.seal(SECRET),
        None,
        sandbox=False,
        expires_at=accounts.form_expiry(),
        withdrawals_confirmed=True,
    )
    with pytest.raises(UserError, match="cannot check whether a bitstamp key"):
        await accounts.connect_sealed(user, keys)


@pytest.mark.parametrize("venue_api", ["bitstamp"], indirect=True)
async def test_an_unchecked_venue_allowed_by_the_operator_needs_the_users_yes(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, venue_api: FakeVenueAPI, tmp_path: Path
) -> None:
    keys = {"unchecked_key_exchanges": "bitstamp"}
    app = await venue_app(make_app, venue_api, tmp_path, keys=keys)
    await pick(app, telegram_api, "bitstamp")  # Cancel: nothing asked, nothing stored
    question = telegram_api.messages(TRADER_ID)[-1]
    assert "I cannot check this key" in question["text"]
    await press(app, telegram_api, question, "Cancel")
    assert "Cancelled" in shown(telegram_api) and venue_api.requests == []

    await pick(app, telegram_api, "bitstamp")
    await press(
        app, telegram_api, telegram_api.messages(TRADER_ID)[-1], "Yes, withdrawals are off"
    )
    secret_ids = await send_keys(app, telegram_api, "bitstamp", venue_api.api_key)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "Connected <b>bitstamp</b>" in last_text(telegram_api)
    [row] = await live_accounts(app)
    assert row.exchange_id == "bitstamp"
    async with app.db.session() as session:
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "account_connected")
        )
    assert audit is not None and audit.details["withdraw_unchecked"] is True  # user's word

    # without the yes the service refuses (a form from before the question, a crafted call)
    user = await app.users.get(TRADER_ID)
    assert user is not None
    with pytest.raises(UserError, match=re.escape(UNCHECKED_NOT_CONFIRMED)):
        await app.services["account_service"].connect(
            user, exchange_id="bitstamp", api_key=venue_api.api_key, secret=SECRET
        )


def shown(api: FakeTelegramAPI) -> str:
    """The text of the last message in the chat (as edited since)."""
    return str(api.messages(TRADER_ID)[-1]["text"])


def button_data_or_none(api: FakeTelegramAPI) -> dict[str, str]:
    message = api.messages(TRADER_ID)[-1]
    return button_data(message) if message.get("reply_markup") else {}
