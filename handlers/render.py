"""Pure rendering: data in, Telegram HTML out. Every user or channel string is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.domain import Role
from core.permissions import role_allows
from handlers.commands import CommandSpec
from handlers.html import escape
from services.dto import UserView


def welcome(user: UserView, created: bool) -> str:
    hello = "Welcome" if created else "Welcome back"
    return (
        f"{hello}, {escape(user.display_name)}! I read trading signals from Telegram channels.\n"
        "I tell you about new signals and can trade them for you: paper by default, "
        "live with your own exchange keys.\n"
        "Send /help to see what you can do."
    )


def help_text(role: Role, commands: Iterable[CommandSpec]) -> str:
    allowed = sorted(
        (c for c in commands if role_allows(role, c.required)), key=lambda c: (c.order, c.name)
    )
    lines = [f"<b>Commands</b> (your role: {role.value})"]
    for spec in allowed:
        lines.append(f"{_usage(spec)} - {escape(spec.description)}")
    with_args = next((spec.name for spec in allowed if "<" in spec.args), None)
    if with_args is not None:
        lines += ["", f"/help &lt;command&gt; shows one with examples, e.g. /help {with_args}"]
    return "\n".join(lines)


def _usage(spec: CommandSpec) -> str:
    return f"/{spec.name}" + (f" {escape(spec.args)}" if spec.args else "")


def command_help(spec: CommandSpec, examples: Sequence[str]) -> str:
    """``/help <command>``: its usage, what it does, and examples to copy."""
    lines = [f"<b>{_usage(spec)}</b>", escape(spec.description)]
    if examples:
        lines += ["", "Examples:", *(f"<code>{escape(e)}</code>" for e in examples)]
    return "\n".join(lines)


def not_your_command(name: str, role: Role) -> str:
    return (
        f"/{escape(name[:32])} is not one of your commands (your role: {role.value}). "
        "Send /help for yours."
    )


def whoami(user: UserView) -> str:
    name = escape(user.display_name)
    pin = "set" if user.has_pin else "not set"
    return (
        f"<b>{name}</b>\nTelegram id: <code>{user.telegram_id}</code>\n"
        f"Role: {user.role.value}\nTrading PIN: {pin}"
    )


def not_allowed(command_name: str | None) -> str:
    what = f"/{escape(command_name)}" if command_name else "that"
    return f"You are not allowed to use {what}."


def unknown_command(name: str) -> str:
    return f"I don't know /{escape(name[:32])}. Send /help for the list of commands."


def error_ref(ref: int | str) -> str:
    return f"Something went wrong (ref {escape(ref)}). It has been logged."
