"""Commands in any case, /help <command>, and the command menu (issue 15, item 2)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.filters import Command
from aiogram.types import (
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    TelegramObject,
)

from bot.app import App
from core.domain import Role
from core.permissions import role_allows
from handlers.command_menu import NEW_USER_ROLE, menu, publish_menus
from handlers.commands import COMMANDS, _message_commands, any_case
from handlers.html import escape
from handlers.usage import EXAMPLES
from tests.bot.conftest import ADMIN_ID, TRADER_ID, VIEWER_ID, AppFactory, feed
from tests.fakes.telegram_api import FakeTelegramAPI

STATIC = {"price_feed": "static", "static_prices": {"BTC/USDT": "64000", "ETH/USDT": "3000"}}


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    """Many messages in a row from one user: no rate limit in the way."""
    return await make_app(
        limits={"rate_limit_per_minute": 100_000, "rate_limit_burst": 100_000}, exchange=STATIC
    )


async def chosen_handler(app: App, telegram_api: FakeTelegramAPI, text: str) -> str:
    """The handler the dispatcher picks for ``text`` from the admin, without running it."""
    picked: list[str] = []

    async def record(
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        picked.append(data["handler"].callback.__qualname__)
        return None

    observer = app.dispatcher.message
    observer.middleware(record)
    try:
        await feed(app, telegram_api.updates.message(ADMIN_ID, text))
    finally:
        observer.middleware._middlewares.remove(record)
    return picked[0] if picked else "(unhandled)"


def _cased(name: str) -> list[str]:
    return [
        name.capitalize(),
        name.upper(),
        "".join(c.upper() if i % 2 else c for i, c in enumerate(name)),
    ]


async def test_every_command_reaches_its_handler_in_any_case(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """/Price, /PRICE, /pRiCe ... pick the handler /price picks, with or without arguments."""
    mismatches = []
    for name in sorted(COMMANDS):
        for args in ("", " 12 btc"):
            expected = await chosen_handler(app, telegram_api, f"/{name}{args}")
            assert expected not in {"(unhandled)", "unknown_command"}, name
            for typed in _cased(name):
                got = await chosen_handler(app, telegram_api, f"/{typed}{args}")
                if got != expected:
                    mismatches.append((f"/{typed}{args}", got, expected))
    assert mismatches == []


@pytest.mark.parametrize(
    ("typed", "reply"),
    [
        pytest.param("/Price btc", "64,000", id="price-capitalised"),
        pytest.param("/PRICE BTC", "64,000", id="price-upper"),
        pytest.param("/BUY btc 0.01", "Bought 0.01 BTC", id="buy-upper"),
        pytest.param("/Balance", "Balance", id="balance"),
        pytest.param("/WhoAmI", "Telegram id", id="whoami-camel"),
        pytest.param("/Start", "Welcome", id="start"),
        pytest.param("/Cancel", "Nothing to cancel.", id="cancel-a-form"),
        pytest.param("/CANCEL all", "No open orders to cancel.", id="cancel-orders"),
        pytest.param("/Help@tsbot_local", "<b>Commands</b>", id="help-with-mention"),
    ],
)
async def test_capitalised_commands_are_answered_as_lower_case(
    app: App, telegram_api: FakeTelegramAPI, typed: str, reply: str
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, typed))
    assert reply in telegram_api.last("sendMessage")["text"]


def test_the_gate_reads_commands_in_lower_case() -> None:
    assert _message_commands((any_case(Command("buy")),)) == ({"buy"}, False, False)
    assert _message_commands((Command("Buy"),)) == ({"buy"}, False, False)
    kept = Command("buy", ignore_case=True)
    assert any_case(kept) is kept
    assert any_case(Command(re.compile("b.y"))).ignore_case  # patterns keep their own flags


# -- /help <command> ------------------------------------------------------------------------------


async def _help(app: App, telegram_api: FakeTelegramAPI, user_id: int, text: str) -> str:
    await feed(app, telegram_api.updates.message(user_id, text))
    return str(telegram_api.last("sendMessage")["text"])


@pytest.mark.parametrize(
    "typed", ["/help buy", "/help /buy", "/Help BUY", "/help buy@tsbot_local"]
)
async def test_help_for_one_command_shows_usage_and_examples(
    app: App, telegram_api: FakeTelegramAPI, typed: str
) -> None:
    text = await _help(app, telegram_api, TRADER_ID, typed)
    lines = text.splitlines()
    assert lines[0] == f"<b>/buy {escape(COMMANDS['buy'].args)}</b>"
    assert lines[1] == COMMANDS["buy"].description
    assert "Examples:" in lines
    assert [f"<code>{e}</code>" for e in EXAMPLES["buy"]] == lines[lines.index("Examples:") + 1 :]


async def test_help_for_a_command_without_examples_shows_its_usage(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    text = await _help(app, telegram_api, TRADER_ID, "/help whoami")
    assert text.splitlines() == ["<b>/whoami</b>", COMMANDS["whoami"].description]


@pytest.mark.parametrize(
    ("user_id", "typed", "reply"),
    [
        pytest.param(TRADER_ID, "/help nosuch", "I don't know /nosuch.", id="unknown"),
        pytest.param(TRADER_ID, "/help grant", "/grant is not one of your commands", id="admin"),
        pytest.param(VIEWER_ID, "/help buy", "(your role: viewer)", id="viewer-buy"),
    ],
)
async def test_help_for_a_command_one_cannot_use_says_so(
    app: App, telegram_api: FakeTelegramAPI, user_id: int, typed: str, reply: str
) -> None:
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    assert reply in await _help(app, telegram_api, user_id, typed)


async def test_the_command_list_points_to_help_for_one(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    text = await _help(app, telegram_api, TRADER_ID, "/help")
    assert text.splitlines()[-1].startswith("/help &lt;command&gt; shows one with examples")


# -- the command menu -----------------------------------------------------------------------------


def _names(commands: list[Any]) -> list[str]:
    return [c.command for c in commands]


async def test_menus_at_start_new_users_and_admins(app: App) -> None:
    await publish_menus(app.bot, [ADMIN_ID])
    shared = await app.bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    admin = await app.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ADMIN_ID))
    assert _names(shared) == _names(menu(NEW_USER_ROLE))
    assert {"buy", "help", "price"} <= set(_names(shared)) and "grant" not in _names(shared)
    assert {"grant", "ban", "buy"} <= set(_names(admin))
    assert _names(shared)[:2] == ["start", "help"]  # /help's order
    for role in Role:
        assert {c.command for c in menu(role)} == {
            name for name, spec in COMMANDS.items() if role_allows(role, spec.required)
        }


async def test_a_new_user_has_the_role_of_the_shared_menu(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    assert "Role: trader" in await _help(app, telegram_api, 7_000_001, "/whoami")
    assert NEW_USER_ROLE is Role.TRADER


async def test_start_and_help_fit_the_chat_menu_to_the_role(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    viewer_scope = BotCommandScopeChat(chat_id=VIEWER_ID)
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/start"))
    viewer = _names(await app.bot.get_my_commands(scope=viewer_scope))
    assert "price" in viewer and "buy" not in viewer
    await app.users.grant_role(None, VIEWER_ID, Role.TRADER)  # now the new-user role
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/help"))
    assert await app.bot.get_my_commands(scope=viewer_scope) == []  # the shared list again


async def test_a_refused_menu_does_not_stop_the_help(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.fail("deleteMyCommands", 500)
    assert "<b>Commands</b>" in await _help(app, telegram_api, TRADER_ID, "/help")
    telegram_api.fail("setMyCommands", 400)
    await publish_menus(app.bot, [ADMIN_ID])  # logged, not raised


async def test_a_grant_fits_the_target_chat_menu_and_a_new_user_start_costs_no_call(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    assert not telegram_api.calls_of("deleteMyCommands")
    assert not telegram_api.calls_of("setMyCommands")
    await feed(app, telegram_api.updates.message(ADMIN_ID, f"/grant {TRADER_ID} viewer"))
    scope = BotCommandScopeChat(chat_id=TRADER_ID)
    granted = _names(await app.bot.get_my_commands(scope=scope))
    assert "price" in granted and "buy" not in granted


def test_menus_fit_telegram() -> None:
    for role in Role:
        for command in menu(role):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", command.command)
            assert 1 <= len(command.description) <= 256
