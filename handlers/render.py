"""Pure rendering: data in, Telegram HTML out. Every user or channel string is escaped."""

from __future__ import annotations

from collections.abc import Iterable

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
        usage = f"/{spec.name}" + (f" {escape(spec.args)}" if spec.args else "")
        lines.append(f"{usage} - {escape(spec.description)}")
    return "\n".join(lines)


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
