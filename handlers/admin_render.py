"""Texts and buttons of the admin tools: user lists and cards, role and ban answers, the audit
in words, the admins' /stats, broadcasts (preview, progress, result) and the sources' admin
view. Every user or channel string is escaped; the buttons carry ids and short words only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers import numbers
from handlers.html import escape
from handlers.ids import RowId
from handlers.paging import Rows, clip
from handlers.plural import plural
from services.admin.dto import (
    AuditLine,
    BroadcastProgress,
    SourceRow,
    SystemStats,
    UserCard,
    UserChange,
)
from services.dto import UserView

QUERY_LIMIT = 40  # bytes of a /users query a page button carries (64-byte callback data)


class UsersPageCallback(CallbackData, prefix="aus"):
    """◀ / ▶ under /users: the page, and the query it lists (no ``:``, clipped)."""

    page: Annotated[int, Field(ge=0, le=9999)]
    query: Annotated[str, Field(max_length=QUERY_LIMIT)] = ""


class BroadcastCallback(CallbackData, prefix="abc"):
    """Confirm or Cancel under a broadcast's preview; the service checks who pressed it."""

    action: Literal["send", "cancel"]
    broadcast_id: RowId


class SourceAdminCallback(CallbackData, prefix="asr"):
    """An admin's action on a source from the admins' /sources view."""

    action: Literal["approve", "pause", "resume", "remove"]
    source_id: RowId


# -- users -------------------------------------------------------------------------------------


def _who(user: UserView) -> str:
    name = escape(clip(user.display_name))
    return name if name == str(user.telegram_id) else f"{name} ({user.telegram_id})"


def _flags(user: UserView) -> str:
    flags = [user.role.value]
    if user.is_banned:
        flags.append("banned")
    if user.access.value != "granted":
        flags.append(user.access.value)
    if not user.is_active:
        flags.append("blocked the bot")
    return ", ".join(flags)


def user_list(users: Sequence[UserView], query: str, page: str = "") -> str:
    """One page of /users (``page`` as ``paging.Page.label``)."""
    where = f" matching “{escape(clip(query, QUERY_LIMIT))}”" if query else ""
    if not users:
        return f"No users{where}."
    lines = [f"<b>Users{where}</b>" + (f" ({escape(page)})" if page else "")]
    lines += [f"• {_who(u)} · {_flags(u)}" for u in users]
    lines.append("/user &lt;id&gt; for one of them")
    return "\n".join(lines)


def user_card(card: UserCard) -> str:
    user = card.user
    seen = numbers.moment(card.last_seen) if card.last_seen else "not seen yet"
    return "\n".join(
        [
            f"<b>{_who(user)}</b>",
            f"Role: {user.role.value}",
            f"Access: {user.access.value}",
            f"Banned: {'yes' if user.is_banned else 'no'}",
            f"Blocked the bot: {'no' if user.is_active else 'yes'}",
            f"Exchange accounts: {card.accounts}",
            f"Open plans: {card.open_plans}",
            f"Last seen: {seen}",
            f"Registered: {numbers.moment(card.registered_at)}",
        ]
    )


def _new_note(change: UserChange) -> str:
    if not change.created:
        return ""
    return " They have not written to the bot yet; it applies when they do."


def role_changed(change: UserChange) -> str:
    who, role = _who(change.user), change.user.role.value
    if not change.changed:
        return f"{who} is already {role}: nothing changed."
    if change.created:
        return f"User {who} is now {role}.{_new_note(change)}"
    return f"{who} is now {role} (was {escape(change.before)})."


def ban_changed(change: UserChange, banned: bool) -> str:
    who = _who(change.user)
    if not change.changed:
        return f"{who} is {'already banned' if banned else 'not banned'}: nothing changed."
    if banned:
        return f"{who} is banned.{_new_note(change)}"
    return f"{who} is no longer banned."


# -- audit -------------------------------------------------------------------------------------

_VERBS = {
    "role_granted": "set the role of",
    "user_banned": "banned",
    "user_unbanned": "lifted the ban on",
    "user_approved": "let in",
    "user_refused": "refused",
    "source_registered": "registered",
    "source_added": "added",
    "source_deactivated": "saw the bot leave",
    "source_invited": "invited a user to",
    "source_uninvited": "took back an invitation to",
    "source_approved": "approved",
    "source_paused": "paused",
    "source_resumed": "resumed",
    "source_removed": "removed",
    "broadcast_sent": "sent broadcast",
    "broadcast_cancelled": "cancelled broadcast",
}


def _audit_details(line: AuditLine) -> str:
    details = dict(line.details)
    parts = []
    if "from" in details and "to" in details:
        parts.append(f"{escape(details.pop('from'))} → {escape(details.pop('to'))}")
    parts += [f"{escape(k)}: {escape(clip(v, 40))}" for k, v in sorted(details.items())]
    return f" ({', '.join(parts)})" if parts else ""


def audit(lines: Sequence[AuditLine]) -> str:
    if not lines:
        return "The audit trail is empty."
    out = ["<b>Audit trail</b> (newest first)"]
    for line in lines:
        verb = _VERBS.get(line.action, line.action.replace("_", " "))
        target = f" {escape(clip(line.target))}" if line.target else ""
        if line.action.startswith("broadcast_"):
            target = f" #{escape(line.target)}"
        out.append(
            f"{numbers.moment(line.created_at)} {escape(clip(line.actor))} "
            f"{escape(verb)}{target}{_audit_details(line)}"
        )
    return "\n".join(out)


# -- /stats ------------------------------------------------------------------------------------


def system_stats(stats: SystemStats) -> str:
    rate = (
        "no signals today"
        if stats.parser_fallback_rate is None
        else f"{stats.parser_fallback_rate:.0%} of today's signals"
    )
    p99 = "no updates yet" if stats.p99_seconds is None else f"≤ {stats.p99_seconds:g} s"
    return "\n".join(
        [
            "<b>System</b> (today is the UTC day)",
            f"Users: {stats.users:,}, active today: {stats.active_today:,}",
            f"Signals today: {stats.signals_today:,}; parser fallback (AI): {rate}",
            f"Plans open: {stats.plans_open:,}; orders today: {stats.orders_today:,}",
            f"Outbox: {stats.outbox_pending:,} waiting, "
            f"{stats.outbox_failed_today:,} failed today",
            f"Inbox: {stats.inbox_pending:,} waiting, {stats.inbox_failed:,} parked",
            f"This process: {plural(stats.handled, 'update')} handled, "
            f"{plural(stats.errors, 'error')}, p99 handling time {p99}",
        ]
    )


STATS_HINT = (
    "Usage: /stats <source>, e.g. /stats 1 or /stats @channel (/sources). "
    "Admins get the system's figures with /stats alone."
)


# -- broadcasts --------------------------------------------------------------------------------


def broadcast_preview(draft: BroadcastProgress) -> tuple[str, Rows]:
    text = (
        f"<b>Broadcast #{draft.id}</b> to {plural(draft.recipients, 'user')}, "
        f"as they will see it:\n\n{escape(draft.text)}"
    )
    rows = [
        [
            {
                "text": "Confirm",
                "callback_data": BroadcastCallback(action="send", broadcast_id=draft.id).pack(),
            },
            {
                "text": "Cancel",
                "callback_data": BroadcastCallback(action="cancel", broadcast_id=draft.id).pack(),
            },
        ]
    ]
    return text, rows


def broadcast_progress(progress: BroadcastProgress) -> str:
    counts = (
        f"{progress.delivered:,} delivered, {progress.blocked:,} blocked the bot, "
        f"{progress.failed:,} failed"
    )
    if progress.status == "done":
        took = ""
        if progress.started_at is not None and progress.finished_at is not None:
            seconds = (progress.finished_at - progress.started_at).total_seconds()
            took = f" in {max(seconds, 0):,.0f} s"
        return f"✅ Broadcast #{progress.id} finished{took}: {counts}, of {progress.recipients:,}."
    if progress.status == "cancelled":
        return f"Broadcast #{progress.id} cancelled: nothing was sent."
    return (
        f"📣 Broadcast #{progress.id}: sending… {progress.settled:,} of "
        f"{progress.recipients:,} done ({counts})."
    )


# -- sources -----------------------------------------------------------------------------------

_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "pending approval": (("approve", "Approve"), ("remove", "Remove")),
    "active": (("pause", "Pause"), ("remove", "Remove")),
    "paused": (("resume", "Resume"), ("remove", "Remove")),
    "removed": (("resume", "Resume"), ("approve", "Approve")),
}


_STATE_WORDS = {"pending approval": "<i>not approved yet</i>"}


def source_admin_list(sources: Sequence[SourceRow], page: str = "") -> tuple[str, Rows]:
    """One page of the admins' /sources, a row of buttons per source (the handler adds the
    page buttons)."""
    if not sources:
        return "No sources yet.", []
    lines = ["<b>Sources</b> (admin view)" + (f" ({escape(page)})" if page else "")]
    rows: Rows = []
    for row in sources:
        source = row.source
        owner = f"owner {escape(clip(row.owner))}" if row.owner else "no owner"
        state = _STATE_WORDS.get(row.state, escape(row.state))
        if source.verified:  # only this: Telegram said the owner administers the channel
            state += ", owner checked as channel admin"
        lines.append(
            f"{source.id}. {escape(clip(source.name))} · {state} · {owner} · "
            f"{plural(source.followers, 'follower')} · {plural(source.signals, 'signal')}"
        )
        rows.append(
            [
                {
                    "text": f"#{source.id} {label}",
                    "callback_data": SourceAdminCallback(
                        action=action, source_id=source.id
                    ).pack(),
                }
                for action, label in _ACTIONS.get(row.state, ())
            ]
        )
    return "\n".join(lines), rows


def source_acted(row: SourceRow, changed: bool, action: str) -> str:
    name = f"{escape(row.source.name)} (#{row.source.id})"
    if not changed:
        state = "approved" if action == "approve" else escape(row.state)
        return f"{name} is {state} already: nothing changed."
    if action == "remove":
        return f"I stopped reading {name}; it is removed (users no longer see it)."
    if action == "approve":
        return f"{name} is approved: every user can see it now ({escape(row.state)})."
    return f"{name} is {escape(row.state)} now."
