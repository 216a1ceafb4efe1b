"""handlers/render.py: every reply shows user text escaped and is valid Telegram HTML."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.domain import Role
from handlers import render
from handlers.commands import CommandSpec
from services.dto import UserView
from tests.unit.render.telegram_html import HOSTILE_TEXTS, assert_shows, first_32, shown, whole
from tests.unit.render.views import user

Render = Callable[[str], str]


def help_with(text: str) -> str:
    spec = CommandSpec("price", description=text, required=Role.VIEWER, args=text)
    return render.help_text(Role.VIEWER, [spec])


HOSTILE_CASES = [
    pytest.param(lambda h: render.welcome(user(first_name=h), True), whole, id="welcome"),
    pytest.param(lambda h: render.welcome(user(username=h), False), whole, id="welcome-back"),
    pytest.param(help_with, whole, id="help_text"),
    pytest.param(lambda h: render.whoami(user(first_name=h)), whole, id="whoami"),
    pytest.param(render.not_allowed, whole, id="not_allowed"),
    pytest.param(render.unknown_command, first_32, id="unknown_command"),
    pytest.param(render.error_ref, whole, id="error_ref"),
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize(("render_with", "visible"), HOSTILE_CASES)
def test_hostile_text_is_shown_as_written(render_with: Render, visible: Render, text: str) -> None:
    assert_shows(render_with(text), visible(text))


COMMANDS = [
    CommandSpec("ban", "ban a user", Role.ADMIN, args="<id>", order=1),
    CommandSpec("buy", "buy a coin", Role.TRADER, order=2),
    CommandSpec("price", "show a price", "market.read", order=2),
    CommandSpec("help", "this list", Role.VIEWER, order=0),
]


@pytest.mark.parametrize(
    ("role", "listed"),
    [
        pytest.param(Role.VIEWER, ["/help", "/price"], id="viewer"),
        pytest.param(Role.TRADER, ["/help", "/buy", "/price"], id="trader"),
        pytest.param(Role.ADMIN, ["/help", "/ban &lt;id&gt;", "/buy", "/price"], id="admin"),
    ],
)
def test_help_lists_what_the_role_may_use_in_order(role: Role, listed: list[str]) -> None:
    lines = render.help_text(role, COMMANDS).splitlines()
    shown(render.help_text(role, COMMANDS))
    assert lines[0] == f"<b>Commands</b> (your role: {role.value})"
    listing = lines[1 : lines.index("")] if "" in lines else lines[1:]
    assert [line.split(" - ")[0] for line in listing] == listed
    # a role with a command taking arguments is told about /help <command>, with that one
    hint = "/help &lt;command&gt; shows one with examples, e.g. /help ban"
    assert (lines[-1] == hint) is (role is Role.ADMIN)


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        pytest.param(user(username="ann"), "@ann", id="username-first"),
        pytest.param(user(first_name="Ann"), "Ann", id="first-name"),
        pytest.param(user(first_name=None), "1001", id="telegram-id"),
    ],
)
def test_whoami_names_the_user(view: UserView, expected: str) -> None:
    assert shown(render.whoami(view)).startswith(f"{expected}\n")


@pytest.mark.parametrize(
    ("has_pin", "line"),
    [
        pytest.param(True, "Trading PIN: set", id="pin"),
        pytest.param(False, "Trading PIN: not set", id="no-pin"),
    ],
)
def test_whoami_says_whether_a_pin_is_set(has_pin: bool, line: str) -> None:
    assert shown(render.whoami(user(has_pin=has_pin))).endswith(line)


def test_not_allowed_without_a_command_name() -> None:
    assert render.not_allowed(None) == "You are not allowed to use that."
