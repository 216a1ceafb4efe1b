"""FSM states of the accounts feature: /connect and /pin (setting the PIN; entering it to confirm
an order is ``handlers.secret_input.PinEntryForm``)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ConnectForm(StatesGroup):
    exchange = State()  # typing part of a name, picking from buttons
    network = State()  # live or testnet
    # live keys of an exchange that cannot tell a key's withdraw right: the user's explicit yes
    confirm_unchecked = State()
    api_key = State()
    secret = State()
    passphrase = State()
    # The exchange did not answer the key check: the sealed keys stay in the form's data for
    # the "Try again" button, until the form's own expiry (data "expires").
    retry = State()


class SetPinForm(StatesGroup):
    """/pin: set, change or remove the trading PIN (stored under its former name ``PinForm``,
    so a /pin form open across a deploy still reaches its handler and the PIN is deleted)."""

    current = State(group_name="PinForm")  # the current PIN, before changing or clearing it
    new = State(group_name="PinForm")
