"""Callback data and keyboards of the trading commands: buttons carry opaque tokens only."""

from __future__ import annotations

from typing import Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

CONFIRM: Final = "c"
DROP: Final = "x"


class OrderCallback(CallbackData, prefix="to"):
    """Confirm (``c``) or drop (``x``) the order plan behind ``token``."""

    action: str
    token: str


def confirm_keyboard(token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="✅ Confirm",
                    callback_data=OrderCallback(action=CONFIRM, token=token).pack(),
                ),
                InlineKeyboardButton(
                    text="✖ Cancel", callback_data=OrderCallback(action=DROP, token=token).pack()
                ),
            ]
        ]
    )
