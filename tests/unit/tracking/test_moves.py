"""Channel updates as the followed outcome applies them: the plans' reading of the post."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.tracking.model import MoveKind
from services.tracking.tracker import channel_move

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
