"""Callback data of the signal card's buttons: the action and the signal id, nothing else."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.ids import RowId


class SignalCallback(CallbackData, prefix="sg"):
    action: str  # track | edit | ignore
    signal_id: RowId


class UpdatePlaceCallback(CallbackData, prefix="sgu"):
    """The owner's answer to an update the bot could not place: link it to ``signal_id``, or
    ignore it (no signal id)."""

    event_id: RowId
    signal_id: RowId | None = None


class EntryLinkCallback(CallbackData, prefix="sgl"):
    """A held entry is about open signal ``to_id`` (not a new signal): link it there."""

    signal_id: RowId
    to_id: RowId
