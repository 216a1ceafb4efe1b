"""Callback data of the chart buttons: what to draw (a signal or a source), its id, the theme."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

from handlers.ids import RowId


class ChartCallback(CallbackData, prefix="ch"):
    kind: Literal["signal", "source"]
    row_id: RowId
    theme: Literal["dark", "light"]
