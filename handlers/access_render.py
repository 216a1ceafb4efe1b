"""Texts and buttons of registration (``REGISTRATION=approval|closed``): the newcomer notice
admins get with Approve / Refuse, what a pending, refused or shut-out user is told.

The buttons carry the newcomer's row id only (``AccessCallback``); the service re-checks the
presser's role and that the user is still pending. Every user-given string is escaped.
"""

from __future__ import annotations

from typing import Final

from aiogram.filters.callback_data import CallbackData

from core.domain import Access
from handlers.html import escape
from handlers.ids import RowId
from services.dto import UserView
from services.users import Buttons

# plain text: sent by the auth middleware before any handler (no HTML)
PENDING_NOTICE: Final = (
    "Thanks for your patience: an admin still has to let you in. "
    "I will write here as soon as they do. /help shows what you will be able to do."
)
REFUSED_NOTICE: Final = "An admin declined your request to use this bot."
CLOSED_NOTICE: Final = "This bot is private: it does not take new users. Ask its admin to add you."


class AccessCallback(CallbackData, prefix="ua"):
    """An admin's answer to a newcomer: ``approve`` true lets them in, false refuses."""

    user_id: RowId
    approve: bool


def _who(user: UserView) -> str:
    return f"{escape(user.display_name)} (id <code>{user.telegram_id}</code>)"


def newcomer(user: UserView) -> tuple[str, Buttons]:
    text = (
        f"{_who(user)} wants to use the bot. Let them in?\n"
        "Approve gives them the default role; /grant gives another."
    )
    buttons = [
        [
            {
                "text": "Approve",
                "callback_data": AccessCallback(user_id=user.id, approve=True).pack(),
            },
            {
                "text": "Refuse",
                "callback_data": AccessCallback(user_id=user.id, approve=False).pack(),
            },
        ]
    ]
    return text, buttons


def decided(user: UserView) -> str:
    if user.access is Access.GRANTED:
        return f"An admin let you in as {user.role.value}. Send /help to see what you can do."
    return REFUSED_NOTICE


def decision_done(user: UserView) -> str:
    """The admin's notice once answered (its buttons gone)."""
    if user.access is Access.GRANTED:
        return f"{_who(user)} was let in as {user.role.value}."
    return f"{_who(user)} was refused."


def pending_welcome(user: UserView) -> str:
    return (
        f"Welcome, {escape(user.display_name)}! I read trading signals from Telegram channels "
        "and can trade them for you.\nAn admin has to let you in first: I have asked them "
        "and will write here as soon as they answer."
    )


def pending_help_note() -> str:
    return "<i>An admin still has to let you in; these commands work once they do.</i>"


class AccessHtml:
    """The ``AccessMessages`` port of ``UserService``."""

    def newcomer(self, user: UserView) -> tuple[str, Buttons]:
        return newcomer(user)

    def decided(self, user: UserView) -> str:
        return decided(user)
