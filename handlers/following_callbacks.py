"""Callback data of the follow settings menu, the pause toggle and the plan buttons.

Ids only (a source id, a setting's index in ``following_render.SETTINGS``, a short choice),
never amounts. A subscription is looked up as (the presser, the source id), so a button only
ever reaches the presser's own subscription; a forged id or index outside its range is refused
while aiogram unpacks the data (the stale-button answer).
"""

from __future__ import annotations

from typing import Annotated, Final

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers.ids import RowId

SETTING_COUNT: Final = 21  # len(following_render.SETTINGS), checked by a test
SettingIndex = Annotated[int, Field(ge=0, lt=SETTING_COUNT)]


class FollowMenuCallback(CallbackData, prefix="fm"):
    """``show``: the menu; ``pick``: setting ``setting``'s choices or prompt;
    ``pause``/``resume``: the subscription's own switch."""

    action: str
    source_id: RowId
    setting: SettingIndex = 0


class FollowSetCallback(CallbackData, prefix="fv"):
    """A choice pressed: setting ``setting`` of the subscription to ``source_id`` = ``value``
    (checked by the service like a typed value); ``ack``: the yes to live auto-trading."""

    source_id: RowId
    setting: SettingIndex
    value: Annotated[str, Field(max_length=20)]
    ack: bool = False
