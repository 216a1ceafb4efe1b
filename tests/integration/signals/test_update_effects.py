"""What an update does to its signal (``update_effects``), case by case on a signal row in
memory: the edges the dispatcher tests do not walk (no targets, no price, a signal not live,
an older target reported late, one entry price)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.db.models import Signal
from core.domain import SignalStatus, UpdateType
from services.signal_dto import StopMove
from services.signals.update_effects import Reading, apply_update

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def signal(**values: object) -> Signal:
    row = Signal(
        status=SignalStatus.ACTIVE,
        targets=["110", "120"],
        targets_hit=0,
        entry_low=Decimal(100),
        entry_high=Decimal(100),
        entry_is_market=False,
        stop_loss=Decimal(90),
        fields_meta={},
    )
    for key, value in values.items():
        setattr(row, key, value)
    return row


@pytest.mark.parametrize(
    ("values", "reading", "hit", "status"),
    [
        ({"targets": []}, Reading(UpdateType.TP_HIT), 1, SignalStatus.ACTIVE),
        ({"targets": []}, Reading(UpdateType.TP_HIT, 3), 3, SignalStatus.ACTIVE),
        ({"targets": []}, Reading(UpdateType.TP_HIT, all_targets=True), 1, SignalStatus.CLOSED),
        ({"targets_hit": 2}, Reading(UpdateType.TP_HIT, 1), 2, SignalStatus.ACTIVE),
        ({}, Reading(UpdateType.TP_HIT, 9), 2, SignalStatus.ACTIVE),
        ({"status": SignalStatus.HELD}, Reading(UpdateType.TP_HIT, 1), 0, SignalStatus.HELD),
        ({}, Reading(UpdateType.SL_HIT), 0, SignalStatus.STOPPED),
    ],
    ids=[
        "no-targets-next",
        "no-targets-index-kept",
        "no-targets-all",
        "late-report",
        "past-the-last",
        "not-live",
        "stop-hit",
    ],
)
def test_take_profits_and_ends(
    values: dict[str, object], reading: Reading, hit: int, status: SignalStatus
) -> None:
    row = signal(**values)
    apply_update(row, reading, "", NOW)
    assert (row.targets_hit, row.status) == (hit, status)


def test_move_to_entry_of_one_price_and_a_move_without_a_price() -> None:
    row = signal()
    effect = apply_update(row, Reading(UpdateType.MOVE_SL), "move SL to breakeven", NOW)
    assert row.stop_loss == Decimal(100) and effect.changed
    assert row.fields_meta["stop_moved"] == StopMove.ENTRY.value
    assert effect.stop is None  # each plan moves to its own fill
    row = signal()
    effect = apply_update(row, Reading(UpdateType.MOVE_SL), "SL moved up", NOW)
    assert row.stop_loss == Decimal(90) and not effect.changed
    assert effect.details["not_applied"] == "the post gives no new stop price"
    assert row.status is SignalStatus.ACTIVE


def test_a_reading_survives_its_event_details() -> None:
    reading = Reading(
        UpdateType.TP_HIT, 2, Decimal("88200.5"), all_targets=True, also=(UpdateType.MOVE_SL,)
    )
    again = Reading.from_details("tp_hit", 2, reading.details())
    assert again == reading
