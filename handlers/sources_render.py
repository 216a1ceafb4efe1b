"""Texts and buttons of source approval: the admins' notice of a source registered by a
non-admin (with its Approve button), the owner's notes, and the /invite answers.

A source is "verified" only in this sense: Telegram said its owner administers the channel.
It says nothing about the channel's signals. The button carries the source id only.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData

from handlers.html import escape
from handlers.ids import RowId
from services.dto import UserView
from services.signal_dto import SourceView


class SourceApproveCallback(CallbackData, prefix="sap"):
    """An admin's Approve on a source waiting for approval."""

    source_id: RowId


def _checked(source: SourceView) -> str:
    if source.verified:
        return "its owner was checked as the channel's admin"
    return "nobody was checked as the channel's admin"


def to_approve(source: SourceView) -> tuple[str, list[list[dict[str, Any]]]]:
    text = (
        f"📡 <b>{escape(source.name)}</b> (#{source.id}) was registered by a user who is not a "
        f"bot admin; {_checked(source)}. Only its owner and invitees see it until you approve "
        f"it (or /source approve {source.id})."
    )
    data = SourceApproveCallback(source_id=source.id).pack()
    return text, [[{"text": "Approve", "callback_data": data}]]


def registered_private(source: SourceView) -> str:
    return (
        f"📡 <b>{escape(source.name)}</b> is now a signal source and you are its owner.\n"
        "I read its posts; those I am not sure about come to you to confirm first.\n"
        "Until an admin approves it, only you and the people you invite see it: "
        f"/invite {source.id} @user."
    )


def approved(source: SourceView) -> str:
    return f"📡 An admin approved <b>{escape(source.name)}</b>: every user can see and follow it."


def approved_for_admin(source: SourceView) -> str:
    return f"{escape(source.name)} (#{source.id}) is approved: every user can see it now."


def invited(source: SourceView, user: UserView) -> str:
    return (
        f"{escape(user.display_name)} can see and follow {escape(source.name)} now "
        f"(/follow {source.id})."
    )


def invitation(source: SourceView, by: UserView) -> str:
    return (
        f"{escape(by.display_name)} invited you to {escape(source.name)}, a channel not "
        f"approved by an admin yet: /follow {source.id} to follow it."
    )


def uninvited(source: SourceView, user: UserView) -> str:
    return f"{escape(user.display_name)} no longer sees {escape(source.name)}."


class SourceApprovalHtml:
    """The ``SourceApprovals`` port of ``SourceService``."""

    def to_approve(self, source: SourceView) -> tuple[str, list[list[dict[str, Any]]]]:
        return to_approve(source)

    def approved(self, source: SourceView) -> str:
        return approved(source)

    def registered_private(self, source: SourceView) -> str:
        return registered_private(source)

    def invitation(self, source: SourceView, by: UserView) -> str:
        return invitation(source, by)
