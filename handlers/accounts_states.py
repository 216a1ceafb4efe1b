"""FSM states of the accounts feature: /connect, /pin, and the PIN of a plain-language order."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ConnectForm(StatesGroup):
    exchange = State()  # typing part of a name, picking from buttons
    network = State()  # live or testnet
    api_key = State()
    secret = State()
    passphrase = State()


class PinForm(StatesGroup):
    current = State()  # the current PIN, before changing or clearing it
    new = State()


class LanguagePinForm(StatesGroup):
    pin = State()  # the PIN confirming a live plain-language order
