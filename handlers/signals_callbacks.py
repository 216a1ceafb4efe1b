"""Callback data of the signal card's buttons: the action and the signal id, nothing else."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.ids import RowId


class SignalCallback(CallbackData, prefix="sg"):
    action: str  # track | edit | ignore
    signal_id: RowId
