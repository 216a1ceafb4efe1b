"""Follow settings rendering: the card, the list, prompts and the live warning escape source
names and account labels (checked by the console's Telegram HTML parser), and every button's
data fits Telegram's 64 bytes at the largest ids."""

from __future__ import annotations

import pytest

from handlers import following_render as fr
from handlers.ids import MAX_ROW_ID
from handlers.paging import NAME_LIMIT
from services.trade_plans.dto import FollowingView
from services.trade_plans.settings import FollowSettings
from tests.unit.render.telegram_html import HOSTILE_TEXTS, assert_shows
from tests.unit.render.views import source


def view(name: str = "calls", label: str = "paper spot", source_id: int = 1) -> FollowingView:
    return FollowingView(
        source=source(id=source_id, username=name),
        settings=FollowSettings().with_value("mode", "auto"),
        paused=True,
        account_label=label,
    )


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_names_and_labels_are_escaped(text: str) -> None:
    hostile = view(text, text)
    # the card is one message, edited in place: its name, note and values are bounded
    assert_shows(fr.settings_card(hostile, note=text), text[: NAME_LIMIT - 1])
    assert_shows(fr.followed(hostile), text)
    # a list row clips the names to paging.NAME_LIMIT characters
    assert_shows(fr.following_list([hostile], paused_all=True)[0], text[: NAME_LIMIT - 1])
    for index in range(len(fr.SETTINGS)):
        assert_shows(fr.value_prompt(hostile, index), fr.SETTINGS[index].label)
        assert_shows(fr.choose_prompt(hostile, index), fr.SETTINGS[index].label)
    assert_shows(fr.live_warning(hostile, text, 1, "12")[0], text)
    assert_shows(fr.paused_note(text, paused=True), text)


def test_button_data_fits_at_the_largest_ids() -> None:
    big = view(source_id=MAX_ROW_ID)
    rows = fr.settings_buttons(big)
    for index in range(len(fr.SETTINGS)):
        rows += fr.choice_buttons(big, index, [(str(MAX_ROW_ID), "live")])
    rows += fr.live_warning(big, "w", MAX_ROW_ID, str(MAX_ROW_ID))[1]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)


def test_card_shows_every_setting_and_the_pause() -> None:
    text = fr.settings_card(view())
    assert "Paused: <b>yes</b>" in text and "Mode: <b>auto (trade for me)</b>" in text
    for setting in fr.SETTINGS[2:]:
        assert f"{setting.label}:" in text
