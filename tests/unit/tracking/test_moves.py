"""Channel updates as the followed outcome applies them: the plans' reading of the post."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.db.models import SignalEvent
from services.tracking.model import MoveKind
from services.tracking.tracker import _plan_stop, channel_move

AT = datetime(2025, 1, 6, 5, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "text", "move", "price", "fraction"),
    [
        ("move_sl", "SL moved to 88200", MoveKind.MOVE_SL, Decimal(88200), None),
        ("move_sl", "Move SL to entry", MoveKind.MOVE_SL, None, None),
        ("move_sl", "BTC 保本损", MoveKind.MOVE_SL, None, None),  # breakeven, no word gaps
        ("move_sl", "Move the stop now!", None, None, None),  # no price, not to entry
        ("close", "Close BTC now", MoveKind.CLOSE, None, None),
        ("sl_hit", "Stop hit", MoveKind.CLOSE, None, None),  # the channel left: so do we
        ("partial_close", "close half", MoveKind.PARTIAL_CLOSE, None, Decimal("0.5")),
        ("partial_close", "Close 30% here", MoveKind.PARTIAL_CLOSE, None, Decimal("0.3")),
        ("partial_close", "take some profit", MoveKind.PARTIAL_CLOSE, None, Decimal("0.5")),
        ("cancel", "cancel the ETH signal", MoveKind.CANCEL, None, None),
        ("tp_hit", "TP1 hit", None, None, None),  # prices decide, not the claim
        ("nonsense", "whatever", None, None, None),
    ],
)
def test_channel_move(
    kind: str, text: str, move: MoveKind | None, price: Decimal | None, fraction: Decimal | None
) -> None:
    found = channel_move(kind, text, AT)
    if move is None:
        assert found is None
        return
    assert found is not None
    assert (found.kind, found.price, found.fraction, found.at) == (move, price, fraction, AT)


def test_a_stop_move_takes_the_price_the_signal_update_read() -> None:
    """'SL moved to 88200 after TP1 90000': the signal's update read 88200 (its event's
    plan_stop); the post's last number, 90000, is not the new stop."""
    text = "SL moved to 88200 after TP1 90000"
    assert channel_move("move_sl", text, AT) == channel_move(
        "move_sl", text, AT, Decimal(90000)
    )  # with nothing read, the old reading (the last number)
    found = channel_move("move_sl", text, AT, Decimal(88200))
    assert found is not None and found.price == Decimal(88200)


@pytest.mark.parametrize(
    ("details", "stop"),
    [
        ({"plan_stop": "88200"}, Decimal(88200)),
        ({"plan_stop": None, "to_entry": True}, None),
        ({}, None),
        ({"plan_stop": "not a number"}, None),
    ],
)
def test_the_tracker_reads_the_stop_from_the_event(
    details: dict[str, object], stop: Decimal | None
) -> None:
    event = SignalEvent(kind="move_sl", raw_text="SL moved", details=details)
    assert _plan_stop(event) == stop
