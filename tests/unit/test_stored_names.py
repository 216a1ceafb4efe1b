"""Names stored outside the process (FSM states in Redis, callback data in sent buttons) survive
renames of the classes behind them, so a form or button from before a deploy still works."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State

from handlers.accounts_states import SetPinForm
from handlers.plain_language import PlainLanguageCallback
from handlers.secret_input import PinEntryForm
from handlers.trading_callbacks import OrderCallback


@pytest.mark.parametrize(
    ("state", "stored"),
    [
        (PinEntryForm.order, "PinForm:waiting"),
        (PinEntryForm.command, "LanguagePinForm:pin"),
        (SetPinForm.current, "PinForm:current"),
        (SetPinForm.new, "PinForm:new"),
    ],
    ids=["order-pin", "plain-language-pin", "set-pin-current", "set-pin-new"],
)
def test_pin_states_keep_their_stored_names(state: State, stored: str) -> None:
    assert state.state == stored


@pytest.mark.parametrize(
    ("callback", "packed"),
    [
        (PlainLanguageCallback(command_id=7, ok=True), "lc:7:1"),
        (OrderCallback(action="c", token="abc"), "to:c:abc"),
    ],
    ids=["plain-language", "order"],
)
def test_button_prefixes_are_unchanged(callback: CallbackData, packed: str) -> None:
    assert callback.pack() == packed
