"""/connect, /accounts, /disconnect and /pin through the whole bot, keys checked by real ccxt
against FakeExchangeAPI: secrets are deleted, sealed, encrypted and never logged."""

from __future__ import annotations

import io
import logging
from typing import Any

import structlog
from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry, ExchangeAccount, User
from core.domain import Role
from core.logging import configure_logging
from core.security import mask
from tests.bot.accounts.conftest import button_data
from tests.bot.conftest import TRADER_ID, VIEWER_ID, feed
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.fakes.telegram_api import FakeTelegramAPI

SECRET = "fake-secret-do-not-leak-9f8e7d6c5b4a"
OTHER_TRADER_ID = 2003


async def say(app: App, api: FakeTelegramAPI, text: str, user_id: int = TRADER_ID) -> int:
    """Send ``text`` as the user; return the message id of what they sent."""
    update = api.updates.message(user_id, text)
    await feed(app, update)
    return int(update["message"]["message_id"])


async def press(app: App, api: FakeTelegramAPI, label: str, user_id: int = TRADER_ID) -> None:
    message = [m for m in api.messages(TRADER_ID) if "reply_markup" in m][-1]
    await feed(app, api.updates.callback(user_id, message, button_data(message)[label]))


def last_text(api: FakeTelegramAPI, chat_id: int = TRADER_ID) -> str:
    return str(api.last("sendMessage")["text"]) if chat_id == TRADER_ID else ""


def deleted_ids(api: FakeTelegramAPI) -> set[int]:
    return {int(c["message_id"]) for c in api.calls_of("deleteMessage")}


async def live_accounts(app: App) -> list[ExchangeAccount]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(ExchangeAccount).where(ExchangeAccount.is_paper.is_(False))
        )
        return list(rows)


async def connect(
    app: App, api: FakeTelegramAPI, key: str, secret: str = SECRET, *, network: str = "Live"
) -> list[int]:
    """Walk /connect for binance; return the ids of the messages that carried secrets."""
    await say(app, api, "/connect")
    assert "Which exchange" in last_text(api)
    await say(app, api, "BIN")
    assert button_data(api.messages(TRADER_ID)[-1]) == {"binance": "xp:binance"}
    await press(app, api, "binance")
    assert "testnet" in api.last("editMessageText")["text"]
    await press(app, api, network)
    prompt = api.last("editMessageText")["text"]
    assert "trading only" in prompt and "Withdrawals off" in prompt and "IP whitelist" in prompt
    return [await say(app, api, key), await say(app, api, secret)]


async def test_connect_stores_encrypted_keys_and_deletes_every_secret_message(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    key = exchange_api.api_key
    secret_ids = await connect(accounts_app, telegram_api, key)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "Connected <b>binance</b>" in last_text(telegram_api)
    assert mask(key) in last_text(telegram_api)
    [row] = await live_accounts(accounts_app)
    assert (row.exchange_id, row.label, row.sandbox, row.key_hint) == (
        "binance",
        "binance",
        False,
        mask(key),
    )
    stored = " ".join(str(getattr(row, c.key)) for c in ExchangeAccount.__table__.columns)
    assert key not in stored and SECRET not in stored
    assert accounts_app.keystore.decrypt(row.api_key_enc or "") == key
    assert accounts_app.keystore.decrypt(row.secret_enc or "") == SECRET
    assert exchange_api.count("GET", "/api/v3/account") == 1  # the balance check
    for call in telegram_api.calls_of("sendMessage") + telegram_api.calls_of("editMessageText"):
        assert key not in call["text"] and SECRET not in call["text"]
    state = await accounts_app.dispatcher.fsm.storage.get_state(key=_fsm_key(accounts_app))
    assert state is None


def _fsm_key(app: App) -> Any:
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=app.bot.id, chat_id=TRADER_ID, user_id=TRADER_ID)


async def test_connect_testnet_is_stored_as_sandbox(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await connect(accounts_app, telegram_api, exchange_api.api_key, network="Testnet")
    [row] = await live_accounts(accounts_app)
    assert row.sandbox and row.label == "binance-testnet"


async def test_wrong_keys_get_one_clear_sentence_and_nothing_is_stored(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    secret_ids = await connect(accounts_app, telegram_api, "wrong-api-key-0000000")
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "refused these keys" in last_text(telegram_api)
    assert await live_accounts(accounts_app) == []


async def test_key_that_may_withdraw_is_refused(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    exchange_api.withdrawals_enabled = True
    secret_ids = await connect(accounts_app, telegram_api, exchange_api.api_key)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "allowed to withdraw" in last_text(telegram_api)
    assert await live_accounts(accounts_app) == []


async def test_key_usable_from_any_ip_is_refused(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    """T11: where the exchange says a key works from any IP (binance's ipRestrict), it is
    refused; its messages are deleted and nothing is stored."""
    exchange_api.ip_restricted = False
    secret_ids = await connect(accounts_app, telegram_api, exchange_api.api_key)
    assert set(secret_ids) <= deleted_ids(telegram_api)
    assert "works from any IP address" in last_text(telegram_api)
    assert "Nothing was stored" in last_text(telegram_api)
    assert await live_accounts(accounts_app) == []


async def test_malformed_key_is_deleted_and_asked_again(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await say(accounts_app, telegram_api, "/connect binance")
    await press(accounts_app, telegram_api, "binance")
    await press(accounts_app, telegram_api, "Live")
    bad = await say(accounts_app, telegram_api, "short")
    assert bad in deleted_ids(telegram_api)
    assert "does not look like an API key" in last_text(telegram_api)
    assert "short" not in last_text(telegram_api)
    # still in the form: the right key goes on
    ids = [
        await say(accounts_app, telegram_api, exchange_api.api_key),
        await say(accounts_app, telegram_api, SECRET),
    ]
    assert set(ids) <= deleted_ids(telegram_api)
    assert len(await live_accounts(accounts_app)) == 1


async def test_undeletable_secret_message_tells_the_user(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await say(accounts_app, telegram_api, "/connect binance")
    await press(accounts_app, telegram_api, "binance")
    await press(accounts_app, telegram_api, "Live")
    telegram_api.fail("deleteMessage", 400, "Bad Request: message can't be deleted")
    await say(accounts_app, telegram_api, exchange_api.api_key)
    texts = [c["text"] for c in telegram_api.calls_of("sendMessage")[-2:]]
    assert "please delete it yourself" in texts[0]
    assert "API secret" in texts[1]


async def test_cancel_clears_the_form_and_stores_nothing(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await say(accounts_app, telegram_api, "/connect binance")
    await press(accounts_app, telegram_api, "binance")
    await press(accounts_app, telegram_api, "Live")
    await say(accounts_app, telegram_api, exchange_api.api_key)
    await say(accounts_app, telegram_api, "/cancel")
    assert last_text(telegram_api) == "Cancelled."
    assert await accounts_app.dispatcher.fsm.storage.get_data(key=_fsm_key(accounts_app)) == {}
    assert await live_accounts(accounts_app) == []


async def test_sealed_key_in_fsm_storage_is_not_clear_text(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await say(accounts_app, telegram_api, "/connect binance")
    await press(accounts_app, telegram_api, "binance")
    await press(accounts_app, telegram_api, "Live")
    await say(accounts_app, telegram_api, exchange_api.api_key)
    data = await accounts_app.dispatcher.fsm.storage.get_data(key=_fsm_key(accounts_app))
    assert data["key"] and exchange_api.api_key not in repr(data)
    assert accounts_app.keystore.decrypt(data["key"]) == exchange_api.api_key


async def test_secrets_reach_no_log_line(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    key = exchange_api.api_key
    with structlog.testing.capture_logs() as events:
        logging.getLogger().setLevel(logging.DEBUG)
        await connect(accounts_app, telegram_api, "wrong-api-key-0000000", "wrong-secret-77777777")
        await connect(accounts_app, telegram_api, key)
    assert events
    dumped = repr(events)
    for value in (key, SECRET, "wrong-api-key-0000000", "wrong-secret-77777777"):
        assert value not in dumped


async def test_secrets_reach_no_rendered_log_line(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    # as in production: the app's redactor (fed by every key-store decrypt) renders the logs;
    # ccxt itself logs request headers, API key included, at DEBUG.
    configure_logging("DEBUG", "console", stream=stream, redactor=accounts_app.redactor)
    try:
        await connect(accounts_app, telegram_api, "wrong-api-key-0000000", "wrong-secret-77777777")
        await connect(accounts_app, telegram_api, exchange_api.api_key)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert "account_connected" in text  # the logging was live
    for value in (exchange_api.api_key, SECRET, "wrong-api-key-0000000", "wrong-secret-77777777"):
        assert value not in text


async def test_accounts_lists_paper_and_live(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await connect(accounts_app, telegram_api, exchange_api.api_key)
    await say(accounts_app, telegram_api, "/accounts")
    text = last_text(telegram_api)
    assert "paper" in text and "binance" in text and mask(exchange_api.api_key) in text


async def test_viewer_cannot_connect(accounts_app: App, telegram_api: FakeTelegramAPI) -> None:
    await accounts_app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    await feed(accounts_app, telegram_api.updates.message(VIEWER_ID, "/connect"))
    assert "not allowed" in telegram_api.last("sendMessage")["text"]


# -- /disconnect ------------------------------------------------------------------------------


async def test_disconnect_asks_then_deletes(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await connect(accounts_app, telegram_api, exchange_api.api_key)
    await say(accounts_app, telegram_api, "/disconnect binance")
    assert "Disconnect <b>binance</b>" in last_text(telegram_api)
    await press(accounts_app, telegram_api, "Keep it")
    assert len(await live_accounts(accounts_app)) == 1
    await say(accounts_app, telegram_api, "/disconnect binance")
    await press(accounts_app, telegram_api, "Disconnect")
    assert await live_accounts(accounts_app) == []
    assert "Disconnected binance" in telegram_api.last("editMessageText")["text"]
    async with accounts_app.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("account_disconnected") == 1


async def test_disconnect_unknown_label_and_paper(
    accounts_app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(accounts_app, telegram_api, "/disconnect nope")
    assert "no account with that label" in last_text(telegram_api)
    await say(accounts_app, telegram_api, "/accounts")  # creates the paper account
    await say(accounts_app, telegram_api, "/disconnect paper")
    assert "paper account stays" in last_text(telegram_api)
    await say(accounts_app, telegram_api, "/disconnect")
    assert "Which account?" in last_text(telegram_api)


async def test_foreign_and_forged_disconnect_callbacks_change_nothing(
    accounts_app: App, telegram_api: FakeTelegramAPI, exchange_api: FakeExchangeAPI
) -> None:
    await connect(accounts_app, telegram_api, exchange_api.api_key)
    await say(accounts_app, telegram_api, "/disconnect binance")
    question = telegram_api.messages(TRADER_ID)[-1]
    data = button_data(question)["Disconnect"]
    await feed(accounts_app, telegram_api.updates.callback(OTHER_TRADER_ID, question, data))
    assert "not connected" in telegram_api.last("answerCallbackQuery")["text"]
    [row] = await live_accounts(accounts_app)
    for forged in (f"dc:{row.id + 1000}:1", "dc:abc:1", f"dc:{row.id}:maybe"):
        await feed(accounts_app, telegram_api.updates.callback(TRADER_ID, question, forged))
    assert len(await live_accounts(accounts_app)) == 1
    answers = [c.get("text", "") for c in telegram_api.calls_of("answerCallbackQuery")]
    assert any("not connected" in a for a in answers[1:])
    assert any("no longer valid" in a for a in answers[1:])


# -- /pin ---------------------------------------------------------------------------------------


async def pin_hash(app: App) -> str | None:
    async with app.db.session() as session:
        return await session.scalar(select(User.pin_hash).where(User.telegram_id == TRADER_ID))


async def test_pin_set_change_and_off(accounts_app: App, telegram_api: FakeTelegramAPI) -> None:
    await say(accounts_app, telegram_api, "/pin")
    assert "4 to 12 digits" in last_text(telegram_api)
    bad = await say(accounts_app, telegram_api, "12ab")
    assert bad in deleted_ids(telegram_api)
    assert "A PIN is 4 to 12 digits." in last_text(telegram_api)
    sent = await say(accounts_app, telegram_api, "1234")
    assert sent in deleted_ids(telegram_api)
    assert last_text(telegram_api).startswith("PIN set")
    hashed = await pin_hash(accounts_app)
    assert hashed is not None and hashed.startswith("$argon2") and "1234" not in hashed
    # changing asks for the current one first
    await say(accounts_app, telegram_api, "/pin")
    await say(accounts_app, telegram_api, "0000")
    assert "not right" in last_text(telegram_api)
    await say(accounts_app, telegram_api, "/pin off")
    wrong = await say(accounts_app, telegram_api, "9999")
    assert wrong in deleted_ids(telegram_api)
    assert "not right" in last_text(telegram_api)
    assert await pin_hash(accounts_app) == hashed
    await say(accounts_app, telegram_api, "/pin")
    await say(accounts_app, telegram_api, "1234")
    await say(accounts_app, telegram_api, "55556666")
    assert last_text(telegram_api).startswith("PIN set")
    await say(accounts_app, telegram_api, "/pin off")
    await say(accounts_app, telegram_api, "55556666")
    assert last_text(telegram_api).startswith("PIN removed")
    assert await pin_hash(accounts_app) is None
    await say(accounts_app, telegram_api, "/pin off")
    assert "no PIN" in last_text(telegram_api)
    for call in telegram_api.calls_of("sendMessage"):
        assert "1234" not in call["text"] and "55556666" not in call["text"]
