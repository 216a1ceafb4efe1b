"""Backoff schedules taken from the libraries: polling (aiogram) and outbox rows (tenacity)."""

from __future__ import annotations

from aiogram.utils.backoff import Backoff

from bot.outbox import MAX_ATTEMPTS, transient_backoff
from bot.runners import POLLING_BACKOFF


def test_polling_backoff_doubles_to_thirty_seconds_and_resets() -> None:
    """No jitter: the same waits every run, capped at 30 s, back to 1 s after an answer."""
    backoff = Backoff(POLLING_BACKOFF)
    assert [next(backoff) for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    backoff.reset()
    assert next(backoff) == 1.0


def test_outbox_row_waits_double_and_it_gives_up_at_the_last_attempt() -> None:
    waits = [transient_backoff(attempt) for attempt in range(1, MAX_ATTEMPTS + 1)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, None]
    assert transient_backoff(MAX_ATTEMPTS + 1) is None
