"""Reading a Telegram Desktop chat export (``result.json``) into the posts a backtest replays.

An export is a JSON object with the chat's ``name`` and a ``messages`` list. Each message has an
``id``, a ``type`` ("message" or "service"), a ``date`` (the exporter's local time, no zone) and,
in exports since 2022, ``date_unixtime`` (epoch seconds as a string), a ``text`` that is a string
or a list of strings and entity objects ``{"type": ..., "text": ...}``, and optionally
``reply_to_message_id`` and ``edited`` / ``edited_unixtime``.

Invariants of what ``read_export`` returns: service messages and messages without text are left
out; every time is an aware UTC datetime (``date_unixtime`` when present; otherwise ``date`` is
taken as UTC and ``ExportHistory.dates_assumed_utc`` says so, because the local zone of the
exporter is not written in the file); posts are ordered by (date, id). An edited message holds
only its final text (the export keeps no earlier version), which is what the backtest reads.
Anything that is not such an export raises ``ExportError`` with a message saying what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import UserError

__all__ = ["ExportError", "ExportHistory", "ExportPost", "read_export"]


class ExportError(UserError):
    """The file is not a readable Telegram Desktop export."""

    default_message = "That file is not a Telegram Desktop export."


@dataclass(frozen=True, slots=True)
class ExportPost:
    """One text message of the export."""

    message_id: int
    posted_at: datetime  # aware UTC
    text: str  # the final text (edited messages hold only that)
    reply_to: int | None = None
    edited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExportHistory:
    """The chat's name and its text posts in order."""

    name: str | None
    posts: tuple[ExportPost, ...]
    skipped: int  # service messages and messages without text
    dates_assumed_utc: bool  # some post had no ``date_unixtime``: its local ``date`` read as UTC


def read_export(path: Path) -> ExportHistory:
    """Read ``path`` (a ``result.json``, or a folder holding one); raises ``ExportError``."""
    if path.is_dir():
        path = path / "result.json"
    if not path.is_file():
        raise ExportError(f"No such export file: {path}")
    try:
        with path.open(encoding="utf-8") as source:
            data = json.load(source)
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path} is not a text file (a Telegram export is JSON).") from exc
    except json.JSONDecodeError as exc:
        raise ExportError(
            f"{path} is not JSON (line {exc.lineno}: {exc.msg}); export the chat from "
            "Telegram Desktop with the format 'Machine-readable JSON'."
        ) from exc
    return history_from(data, str(path))


def history_from(data: Any, where: str = "the export") -> ExportHistory:
    """The history of an already decoded export; raises ``ExportError``."""
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise ExportError(
            f"{where} has no 'messages' list: it is not a Telegram Desktop chat export "
            "(export one chat or channel as 'Machine-readable JSON' and pass its result.json)."
        )
    name = data.get("name")
    posts: list[ExportPost] = []
    skipped = 0
    assumed_utc = False
    for index, raw in enumerate(data["messages"]):
        if not isinstance(raw, dict):
            raise ExportError(f"{where}: message #{index + 1} is not an object.")
        if raw.get("type", "message") != "message":
            skipped += 1
            continue
        text = message_text(raw.get("text"))
        if not text.strip():
            skipped += 1
            continue
        message_id = _message_id(raw, index, where)
        posted_at, guessed = _time(raw, "date", message_id, where)
        edited_at = None
        if raw.get("edited_unixtime") is not None or raw.get("edited") is not None:
            edited_at, edit_guessed = _time(raw, "edited", message_id, where)
            guessed = guessed or edit_guessed
        assumed_utc = assumed_utc or guessed
        reply = raw.get("reply_to_message_id")
        posts.append(
            ExportPost(
                message_id=message_id,
                posted_at=posted_at,
                text=text,
                reply_to=reply if isinstance(reply, int) and not isinstance(reply, bool) else None,
                edited_at=edited_at,
            )
        )
    posts.sort(key=lambda p: (p.posted_at, p.message_id))
    return ExportHistory(
        name=name if isinstance(name, str) else None,
        posts=tuple(posts),
        skipped=skipped,
        dates_assumed_utc=assumed_utc,
    )


def message_text(value: Any) -> str:
    """A message's plain text: a string as is, a list of strings and entities joined."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return ""
    parts: list[str] = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "".join(parts)


def _message_id(raw: dict[str, Any], index: int, where: str) -> int:
    value = raw.get("id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ExportError(f"{where}: message #{index + 1} has no numeric 'id'.")
    return value


def _time(raw: dict[str, Any], field: str, message_id: int, where: str) -> tuple[datetime, bool]:
    """(aware UTC time, whether the zone was assumed) of ``field`` ("date" or "edited")."""
    unix = raw.get(f"{field}_unixtime")
    if unix is not None:
        try:
            return datetime.fromtimestamp(int(unix), tz=UTC), False
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise ExportError(
                f"{where}: message {message_id} has an unreadable {field}_unixtime {unix!r}."
            ) from exc
    text = raw.get(field)
    if not isinstance(text, str):
        raise ExportError(f"{where}: message {message_id} has no '{field}'.")
    try:
        local = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ExportError(
            f"{where}: message {message_id} has an unreadable {field} {text!r}."
        ) from exc
    if local.tzinfo is not None:
        return local.astimezone(UTC), False
    return local.replace(tzinfo=UTC), True
