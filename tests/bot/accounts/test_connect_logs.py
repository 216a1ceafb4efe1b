"""No exchange credential or PIN reaches a production log line or a message (issue 13, defect 4).

Logging is configured as in production (JSON, tracebacks without frame locals, no redactor that
knows these values) into a buffer; /connect, /pin and Confirm with a PIN are walked through the
whole bot while the fake Bot API fails one call (sendMessage, deleteMessage, editMessageText;
500 or 400) at one step, or the fake exchange fails the key check or the order. After the
faulted walk the user cancels and walks the flow again, so every secret also takes the path
that succeeds (okx, for the passphrase step, is refused: its requests reach the Binance fake).
The secrets are random-looking values that no redactor knows by name. With frame locals
rendered again (the defect), the key, the secret and the PIN appear in `handler_failed` lines."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
import structlog
from sqlalchemy import update

from bot.app import App
from core.db.models import User
from core.logging import configure_logging
from core.security import hash_secret
from services.exchange.ccxt_client import DEFAULT_READ_RETRIES
from tests.bot.accounts.conftest import FAST, PRICES, button_data
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.trading.test_trading_bot import add_live_account
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets
from tests.fakes.telegram_api import FakeTelegramAPI

KEY: Final = "Kq9vT3xWm8ZrB2nLp7YcH4sJd6FgA1eUo5iQ0wRtXy"
SECRET: Final = "Kq9Rf2Lx8WnZ4cVb7TmP1sHy3GjD6kQa9EuN0oBiMw"
PASSPHRASE: Final = "Kq9pZx4Vn7Tr2Lw"
PIN: Final = "80417362"
SECRETS: Final = (KEY, SECRET, PASSPHRASE, PIN)
# A token shaped like a real one (the bot's own secret, in every Bot API URL): T8
BOT_TOKEN: Final = "7123456789:AAHk3Tq9vZx8Wm2RbN4cLp7YsJd6FgE1uOi"
TOKEN_SHAPE: Final = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
BALANCE: Final = "/api/v3/account"
ATTEMPTS: Final = DEFAULT_READ_RETRIES + 1  # balance reads in one key check
CAPTURE_STARTED: Final = "log_capture_started"

Action = Callable[["Walk"], Awaitable[None]]


@dataclass
class Walk:
    app: App
    api: FakeTelegramAPI
    exchange: FakeExchangeAPI


class FlowBroke(Exception):
    """The button the user would press next is not on screen: the faulted walk stops there."""


def say(text: str) -> Action:
    async def act(walk: Walk) -> None:
        await feed(walk.app, walk.api.updates.message(TRADER_ID, text))

    return act


def press(label: str) -> Action:
    async def act(walk: Walk) -> None:
        shown = [m for m in walk.api.messages(TRADER_ID) if "reply_markup" in m]
        buttons = button_data(shown[-1]) if shown else {}
        if label not in buttons:
            raise FlowBroke(label)
        await feed(walk.app, walk.api.updates.callback(TRADER_ID, shown[-1], buttons[label]))

    return act


CONNECT: Final[list[tuple[str, Action]]] = [
    ("connect", say("/connect")),
    ("search", say("BIN")),
    ("pick", press("binance")),
    ("network", press("Live")),
    ("key", say(KEY)),
    ("secret", say(SECRET)),
]
CONNECT_WITH_PASSPHRASE: Final[list[tuple[str, Action]]] = [
    ("connect", say("/connect")),
    ("search", say("OKX")),
    ("pick", press("okx")),
    ("network", press("Live")),
    ("key", say(KEY)),
    ("secret", say(SECRET)),
    ("passphrase", say(PASSPHRASE)),
]
SET_PIN: Final[list[tuple[str, Action]]] = [("pin", say("/pin")), ("new-pin", say(PIN))]
CONFIRM: Final[list[tuple[str, Action]]] = [
    ("buy", say("/buy btc 0.001 @main")),
    ("confirm", press("✅ Confirm")),
    ("pin", say(PIN)),
]
FLOWS: Final = {
    "connect": CONNECT,
    "connect-passphrase": CONNECT_WITH_PASSPHRASE,
    "set-pin": SET_PIN,
    "confirm": CONFIRM,
}
METHODS: Final = ("sendMessage", "deleteMessage", "editMessageText")


def bot_api_fault(method: str, code: int) -> Callable[[Walk], None]:
    def arm(walk: Walk) -> None:
        walk.api.fail(method, code)

    return arm


def _bot_api_cases() -> list[Any]:
    return [
        pytest.param(flow, index, bot_api_fault(method, code), id=f"{flow}-{step}-{method}-{code}")
        for flow, steps in FLOWS.items()
        for index, (step, _) in enumerate(steps)
        for method in METHODS
        for code in (500, 400)
    ]


def _exchange_cases() -> list[Any]:
    def unavailable(walk: Walk) -> None:
        walk.exchange.fail_next(f"GET {BALANCE}", 503, times=ATTEMPTS)

    def refused(walk: Walk) -> None:
        walk.exchange.fail_next(f"GET {BALANCE}", code=-2015, status=401, times=ATTEMPTS)

    def order_fails(walk: Walk) -> None:
        walk.exchange.fail_next("POST /api/v3/order", 503, times=ATTEMPTS)

    secret_step = len(CONNECT) - 1
    return [
        pytest.param("connect", secret_step, unavailable, id="connect-check-unavailable"),
        pytest.param("connect", secret_step, refused, id="connect-check-refused"),
        pytest.param("confirm", len(CONFIRM) - 1, order_fails, id="confirm-order-fails"),
    ]


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(api_key=KEY, balances={"USDT": "10000"}, prices=PRICES) as fake:
        yield fake


@pytest.fixture
async def walk(
    make_app: AppFactory,
    telegram_api: FakeTelegramAPI,
    exchange_api: FakeExchangeAPI,
    tmp_path: Path,
) -> Walk:
    (tmp_path / "binance.json").write_text(json.dumps(load_saved_markets()))
    exchange = {
        "api_url_override": exchange_api.url,
        "markets_dir": str(tmp_path),
        "price_feed": "static",
        "static_prices": PRICES,
    }
    app = await make_app(token=BOT_TOKEN, exchange=exchange, limits=FAST)
    return Walk(app, telegram_api, exchange_api)


@pytest.fixture
def production_log() -> Iterator[io.StringIO]:
    """Logging as production configures it, into a buffer; the root logger restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("INFO", "auto", production=True, stream=stream)
    structlog.get_logger(__name__).info(CAPTURE_STARTED)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


async def prepare(walk: Walk, flow: str) -> None:
    if flow != "confirm":
        return
    await add_live_account(walk.app, TRADER_ID, KEY)
    async with walk.app.db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.telegram_id == TRADER_ID)
            .values(pin_hash=await hash_secret(PIN))
        )


async def faulted_walk(walk: Walk, flow: str, at: int, fault: Callable[[Walk], None]) -> None:
    """Walk ``flow`` with ``fault`` armed just before step ``at`` (and only for that step)."""
    for index, (_, action) in enumerate(FLOWS[flow]):
        if index == at:
            fault(walk)
        try:
            await action(walk)
        except FlowBroke:
            return
        finally:
            if index == at:
                for method in METHODS:  # a fault the step did not use is not left for later
                    while walk.api.api.pop_fault(method) is not None:
                        pass


def said_by_bot(api: FakeTelegramAPI) -> str:
    methods = ("sendMessage", "editMessageText", "answerCallbackQuery", "editMessageReplyMarkup")
    return repr([call for method in methods for call in api.calls_of(method)])


@pytest.mark.parametrize(("flow", "at", "fault"), _bot_api_cases() + _exchange_cases())
async def test_no_secret_in_production_logs_or_messages_when_a_step_fails(
    walk: Walk,
    production_log: io.StringIO,
    flow: str,
    at: int,
    fault: Callable[[Walk], None],
) -> None:
    await prepare(walk, flow)
    await faulted_walk(walk, flow, at, fault)
    await say("/cancel")(walk)
    for _, action in FLOWS[flow]:  # the user starts over; this time nothing fails
        await action(walk)
    logged = production_log.getvalue()
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert lines[0]["event"] == CAPTURE_STARTED  # the production logging stayed in place
    said = said_by_bot(walk.api)
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} logged"
        assert secret not in said, f"{secret!r} sent"
    assert TOKEN_SHAPE.search(logged) is None, "a bot token logged"
    assert TOKEN_SHAPE.search(said) is None, "a bot token sent"
    assert walk.app.bot.token == BOT_TOKEN  # the walk ran with a real-shaped token
