"""The Edit form of a signal card: pair -> side -> entry -> targets -> stop -> leverage."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

from services.signal_dto import EDIT_FIELDS


class EditSignalForm(StatesGroup):
    pair = State()
    side = State()
    entry = State()
    targets = State()
    stop_loss = State()
    leverage = State()


# The states in the order the form asks, each with the card field it edits.
STEPS: tuple[tuple[State, str], ...] = tuple(
    (getattr(EditSignalForm, name), name) for name in EDIT_FIELDS
)


def field_of(state_name: str | None) -> tuple[str, State | None]:
    """The field a state asks for, and the state after it (None after the last)."""
    for index, (state, name) in enumerate(STEPS):
        if state.state == state_name:
            following = STEPS[index + 1][0] if index + 1 < len(STEPS) else None
            return name, following
    raise LookupError(state_name)
