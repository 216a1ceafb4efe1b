"""/connect when the exchange does not answer the key check: the keys stay sealed in the form
under "Try again" / "Cancel" until the form expires, so nobody types a key twice. Through the
whole bot, keys checked by real ccxt against FakeExchangeAPI (5xx, its timeout code, or no
answer at all before the client's timeout)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Final

import pytest
import structlog
from aiogram.fsm.storage.base import StorageKey
from aiohttp import web

from bot.app import App
from core.clock import utc_now
from core.db.models import User
from core.security import mask
from services.exchange.ccxt_client import DEFAULT_READ_RETRIES
from tests.bot.accounts.conftest import FAST, PRICES, button_data
from tests.bot.accounts.test_connect import (
    OTHER_TRADER_ID,
    SECRET,
    deleted_ids,
    live_accounts,
    press,
    say,
)
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, RecordedRequest
from tests.fakes.telegram_api import FakeTelegramAPI

BALANCE: Final = "/api/v3/account"
ATTEMPTS: Final = DEFAULT_READ_RETRIES + 1  # balance reads in one key check (the adapter retries)
TIMEOUT_MS: Final = 500  # the live client's timeout (the least the settings allow)
FORM_TTL_S: Final = 3600


class SilentExchangeAPI(FakeExchangeAPI):
    """FakeExchangeAPI that can also leave balance reads unanswered until the client's timeout
    has passed: an exchange that does not answer at all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.silent_reads = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == BALANCE and self.silent_reads > 0:
            self.silent_reads -= 1
            key = request.headers.get("X-MBX-APIKEY")
            self.requests.append(RecordedRequest(request.method, request.path, {}, key))
            await asyncio.sleep(2 * TIMEOUT_MS / 1000)  # the client gives up meanwhile
            return web.Response(status=504)
        return await super()._handle(request)


Fault = Callable[[SilentExchangeAPI, int], None]


def server_error(fake: SilentExchangeAPI, checks: int) -> None:
    fake.fail_next(f"GET {BALANCE}", 503, times=checks * ATTEMPTS)


def timeout_code(fake: SilentExchangeAPI, checks: int) -> None:
    fake.fail_next(f"GET {BALANCE}", code=-1007, status=408, times=checks * ATTEMPTS)


def no_answer(fake: SilentExchangeAPI, checks: int) -> None:
    fake.silent_reads += checks * ATTEMPTS


FAULTS: Final = [server_error, timeout_code, no_answer]
FAULT_IDS: Final = ["503", "binance-timeout-code", "no-answer"]


@pytest.fixture
async def exchange_api() -> AsyncIterator[SilentExchangeAPI]:
    fake = SilentExchangeAPI(balances={"USDT": "1000"}, prices=PRICES)
    async with fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc_now())


@pytest.fixture
async def app(
    make_app: AppFactory,
    exchange_api: SilentExchangeAPI,
    markets_dir: Path,
    clock: FakeClock,
) -> App:
    """The accounts app (as ``accounts_app``) on a clock the test moves, with a short
    exchange timeout and a one-hour form TTL."""
    exchange: dict[str, Any] = {
        "api_url_override": exchange_api.url,
        "markets_dir": str(markets_dir),
        "price_feed": "static",
        "static_prices": PRICES,
        "timeout_ms": TIMEOUT_MS,
    }
    return await make_app(
        clock=clock, exchange=exchange, limits=FAST, redis={"fsm_ttl_s": FORM_TTL_S}
    )


async def form(app: App, user_id: int = TRADER_ID) -> tuple[str | None, dict[str, Any]]:
    """The user's FSM state and data in their private chat."""
    key = StorageKey(bot_id=app.bot.id, chat_id=TRADER_ID, user_id=user_id)
    storage = app.dispatcher.fsm.storage
    return await storage.get_state(key=key), await storage.get_data(key=key)


async def send_keys(app: App, api: FakeTelegramAPI, key: str) -> list[int]:
    """/connect binance (live), then the key and the secret; the ids of those two messages."""
    await say(app, api, "/connect binance")
    await press(app, api, "binance")
    await press(app, api, "Live")
    return [await say(app, api, key), await say(app, api, SECRET)]


def retry_prompt(api: FakeTelegramAPI) -> dict[str, Any]:
    """The bot's latest message in the trader's chat; asserted to be the retry prompt."""
    message = api.messages(TRADER_ID)[-1]
    assert "did not answer while I was checking your keys" in message["text"]
    assert set(button_data(message)) == {"Try again", "Cancel"}
    return message


async def tap(
    app: App, api: FakeTelegramAPI, message: dict[str, Any], label: str, user_id: int = TRADER_ID
) -> None:
    await feed(app, api.updates.callback(user_id, message, button_data(message)[label]))


def said_by_bot(api: FakeTelegramAPI) -> str:
    """Everything the bot sent, edited or answered, as one string."""
    methods = ("sendMessage", "editMessageText", "answerCallbackQuery")
    return repr([call for method in methods for call in api.calls_of(method)])


def stale_answers(api: FakeTelegramAPI) -> int:
    answers = api.calls_of("answerCallbackQuery")
    return sum("no longer valid" in str(a.get("text", "")) for a in answers)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
async def test_try_again_connects_with_the_kept_keys(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI, fault: Fault
) -> None:
    """The check fails while the exchange is silent; Try again connects, no key typed again,
    no key in any message or log line."""
    key = exchange_api.api_key
    fault(exchange_api, 1)
    with structlog.testing.capture_logs() as events:
        logging.getLogger().setLevel(logging.DEBUG)
        secret_ids = await send_keys(app, telegram_api, key)
        prompt = retry_prompt(telegram_api)
        assert "nothing was stored" in prompt["text"]
        assert await live_accounts(app) == []
        state, data = await form(app)
        assert state == "ConnectForm:retry"
        assert app.keystore.decrypt(data["key"]) == key
        assert app.keystore.decrypt(data["secret"]) == SECRET
        await tap(app, telegram_api, prompt, "Try again")
    assert set(secret_ids) <= deleted_ids(telegram_api)
    done = telegram_api.messages(TRADER_ID)[-1]
    assert done["message_id"] == prompt["message_id"]  # the prompt became the answer
    assert done["text"].startswith("Connected binance") and "reply_markup" not in done
    [row] = await live_accounts(app)
    assert app.keystore.decrypt(row.secret_enc or "") == SECRET and row.key_hint == mask(key)
    checks = [r for r in exchange_api.requests if r.path == BALANCE]
    assert len(checks) == ATTEMPTS + 1 and {r.api_key for r in checks} == {key}
    assert await form(app) == (None, {})
    assert events  # the logging was live
    for leaked in (repr(events), said_by_bot(telegram_api)):
        assert key not in leaked and SECRET not in leaked


async def test_still_silent_offers_try_again_again(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    server_error(exchange_api, 2)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    await tap(app, telegram_api, prompt, "Try again")
    again = retry_prompt(telegram_api)
    assert again["message_id"] == prompt["message_id"]
    assert (await form(app))[0] == "ConnectForm:retry"
    assert await live_accounts(app) == []
    await tap(app, telegram_api, again, "Try again")
    assert telegram_api.messages(TRADER_ID)[-1]["text"].startswith("Connected binance")
    assert len(await live_accounts(app)) == 1


@pytest.mark.parametrize(
    ("refuse", "message"),
    [
        (lambda fake: setattr(fake, "api_key", "another-key-00000000"), "refused these keys"),
        (lambda fake: setattr(fake, "withdrawals_enabled", True), "allowed to withdraw"),
    ],
    ids=["keys-refused", "withdrawals-enabled"],
)
async def test_a_refusal_on_try_again_ends_the_form(
    app: App,
    telegram_api: FakeTelegramAPI,
    exchange_api: SilentExchangeAPI,
    refuse: Callable[[SilentExchangeAPI], None],
    message: str,
) -> None:
    server_error(exchange_api, 1)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    refuse(exchange_api)
    await tap(app, telegram_api, prompt, "Try again")
    shown = telegram_api.messages(TRADER_ID)[-1]
    assert message in shown["text"] and "reply_markup" not in shown
    assert await form(app) == (None, {})
    assert await live_accounts(app) == []
    await tap(app, telegram_api, prompt, "Try again")  # the old button, pressed again
    assert stale_answers(telegram_api) == 1


async def test_cancel_button_forgets_the_sealed_keys(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    server_error(exchange_api, 1)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    await tap(app, telegram_api, prompt, "Cancel")
    assert telegram_api.last("answerCallbackQuery")["text"] == "Cancelled."
    assert "keys are forgotten" in telegram_api.messages(TRADER_ID)[-1]["text"]
    assert await form(app) == (None, {})
    checks = exchange_api.count("GET", BALANCE)
    await tap(app, telegram_api, prompt, "Try again")
    assert stale_answers(telegram_api) == 1
    assert exchange_api.count("GET", BALANCE) == checks
    assert await live_accounts(app) == []


async def test_cancel_command_forgets_the_sealed_keys(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    server_error(exchange_api, 1)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    await say(app, telegram_api, "/cancel")
    assert telegram_api.last("sendMessage")["text"] == "Cancelled."
    assert await form(app) == (None, {})
    await tap(app, telegram_api, prompt, "Try again")
    assert stale_answers(telegram_api) == 1
    assert await live_accounts(app) == []


async def test_someone_elses_press_is_stale_and_leaves_the_form(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    server_error(exchange_api, 1)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    checks = exchange_api.count("GET", BALANCE)
    for label in ("Try again", "Cancel"):
        await tap(app, telegram_api, prompt, label, user_id=OTHER_TRADER_ID)
    assert stale_answers(telegram_api) == 2
    assert exchange_api.count("GET", BALANCE) == checks
    assert await form(app, OTHER_TRADER_ID) == (None, {})
    assert (await form(app))[0] == "ConnectForm:retry"  # the owner's form is untouched
    await tap(app, telegram_api, retry_prompt(telegram_api), "Try again")
    [row] = await live_accounts(app)
    async with app.db.session() as session:
        owner = await session.get(User, row.user_id)
    assert owner is not None and owner.telegram_id == TRADER_ID


async def test_two_presses_run_one_check(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    server_error(exchange_api, 1)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    checks = exchange_api.count("GET", BALANCE)
    data = button_data(prompt)["Try again"]
    presses = [telegram_api.updates.callback(TRADER_ID, prompt, data) for _ in range(2)]
    await asyncio.gather(*(feed(app, press) for press in presses))
    assert exchange_api.count("GET", BALANCE) == checks + 1
    assert len(await live_accounts(app)) == 1
    assert stale_answers(telegram_api) == 1


async def test_the_form_expiry_bounds_the_retry(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI, clock: FakeClock
) -> None:
    """Try again works until the form's own expiry (FSM_TTL after /connect), which pressing
    it does not push back (storage TTLs restart on every write)."""
    server_error(exchange_api, 2)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    clock.advance(FORM_TTL_S - 60)
    await tap(app, telegram_api, prompt, "Try again")  # still silent: offered again
    prompt = retry_prompt(telegram_api)
    checks = exchange_api.count("GET", BALANCE)
    clock.advance(61)
    await tap(app, telegram_api, prompt, "Try again")
    shown = telegram_api.messages(TRADER_ID)[-1]
    assert "form has expired" in shown["text"] and "reply_markup" not in shown
    assert exchange_api.count("GET", BALANCE) == checks  # nothing unsealed or sent
    assert await form(app) == (None, {})
    assert await live_accounts(app) == []


async def test_a_key_sent_again_while_waiting_is_deleted(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    server_error(exchange_api, 1)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    again = await say(app, telegram_api, SECRET)
    assert again in deleted_ids(telegram_api)
    assert "press Try again" in telegram_api.messages(TRADER_ID)[-1]["text"]
    chatter = await say(app, telegram_api, "hello?")
    assert chatter not in deleted_ids(telegram_api)
    assert (await form(app))[0] == "ConnectForm:retry"
    await tap(app, telegram_api, prompt, "Try again")
    assert len(await live_accounts(app)) == 1
    assert SECRET not in said_by_bot(telegram_api)


async def test_the_prompt_of_an_earlier_form_is_stale(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    server_error(exchange_api, 2)
    await send_keys(app, telegram_api, exchange_api.api_key)
    first = retry_prompt(telegram_api)
    await send_keys(app, telegram_api, exchange_api.api_key)  # /connect again, silent again
    second = retry_prompt(telegram_api)
    checks = exchange_api.count("GET", BALANCE)
    await tap(app, telegram_api, first, "Try again")
    assert stale_answers(telegram_api) == 1
    assert exchange_api.count("GET", BALANCE) == checks
    assert telegram_api.messages(TRADER_ID)[-1] == second  # untouched
    await tap(app, telegram_api, second, "Try again")
    assert len(await live_accounts(app)) == 1


async def test_a_prompt_too_old_to_edit_ends_the_form(
    app: App, telegram_api: FakeTelegramAPI, exchange_api: SilentExchangeAPI
) -> None:
    """Telegram sends a message older than 48 hours as inaccessible (date 0)."""
    server_error(exchange_api, 1)
    await send_keys(app, telegram_api, exchange_api.api_key)
    prompt = retry_prompt(telegram_api)
    update = telegram_api.updates.callback(TRADER_ID, prompt, button_data(prompt)["Try again"])
    query = update["callback_query"]
    query["message"] = {"chat": prompt["chat"], "message_id": prompt["message_id"], "date": 0}
    await feed(app, update)
    answer = telegram_api.last("answerCallbackQuery")
    assert "form has expired" in answer["text"] and answer["show_alert"]
    assert await form(app) == (None, {})
    assert await live_accounts(app) == []
