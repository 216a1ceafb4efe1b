"""The backtest's in-memory update linking and its reading of updates as plan moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain import SignalKind, UpdateType
from services.backtest.linking import Linker
from services.backtest.run import channel_move
from services.signal_parser import ParseResult, UpdateInfo, parse
from services.tracking.model import ChannelMove, MoveKind

T0 = datetime(2025, 7, 7, tzinfo=UTC)
ETH = "ETH 2550-2555附近多\n目標 ；2577-2590-2610\n止損:2521"


def _update(kind: UpdateType, base: str | None = None, quote: str | None = None) -> ParseResult:
    return ParseResult(kind=SignalKind.UPDATE, base=base, quote=quote, update=UpdateInfo(kind))


def _linker(*entries: tuple[int, str, str | None, bool, datetime | None]) -> Linker:
    linker = Linker(timedelta(hours=24))
    for index, (message_id, base, quote, active, ended) in enumerate(entries):
        result = ParseResult(kind=SignalKind.ENTRY, base=base, quote=quote)
        text = f"{base} post {message_id}"
        linker.add_entry(index, message_id, T0, result, text, active=active, ended_at=ended)
    return linker


def test_reply_to_the_entry_or_to_an_update_already_linked() -> None:
    linker = _linker((10, "ETH", None, True, None), (11, "ETH", None, True, None))
    at = T0 + timedelta(hours=1)
    assert linker.link(_update(UpdateType.TP_HIT), 11, at) == (1, "reply", 1)
    linker.add_post(20, 1)
    assert linker.link(_update(UpdateType.MOVE_SL), 20, at) == (1, "reply", 1)


def test_by_pair_only_when_exactly_one_open_signal_matches() -> None:
    later = T0 + timedelta(hours=5)
    linker = _linker(
        (10, "ETH", None, True, None),
        (11, "BTC", "USDT", True, None),
        (12, "BTC", "USDT", False, None),  # held below the threshold: not open
        (13, "BTC", None, True, T0 + timedelta(hours=2)),  # its prices had ended it
    )
    assert linker.link(_update(UpdateType.CLOSE, "ETH", "USDT"), None, later) == (0, "pair", 1)
    assert linker.link(_update(UpdateType.CLOSE, "BTC"), None, later) == (1, "pair", 1)
    assert linker.link(_update(UpdateType.CLOSE, "BTC", "BUSD"), None, later) == (None, None, 0)
    assert linker.link(_update(UpdateType.CLOSE, "SOL"), None, later) == (None, None, 0)
    assert linker.link(_update(UpdateType.CLOSE), None, later) == (None, None, 0)
    early = T0 + timedelta(hours=1)  # before the BTC entry 13 ended: two candidates, no guess
    assert linker.link(_update(UpdateType.CLOSE, "BTC"), None, early) == (None, None, 2)


def test_a_stop_close_or_cancel_update_ends_the_signal_for_pair_links() -> None:
    linker = _linker((10, "ETH", None, True, None))
    at = T0 + timedelta(hours=1)
    linker.apply_status(0, _update(UpdateType.TP_HIT, "ETH"))
    assert linker.link(_update(UpdateType.CLOSE, "ETH"), None, at)[0] == 0
    linker.apply_status(0, _update(UpdateType.SL_HIT, "ETH"))
    assert linker.link(_update(UpdateType.CLOSE, "ETH"), None, at) == (None, None, 0)
    assert linker.link(_update(UpdateType.CLOSE), 10, at)[0] == 0  # a reply still reaches it


def test_a_repeated_entry_text_within_the_window_is_that_entry() -> None:
    linker = Linker(timedelta(hours=24))
    linker.add_entry(0, 10, T0, parse(ETH), ETH, active=True, ended_at=None)
    assert linker.repeat_of("  eth 2550-2555附近多\n目標 ；2577-2590-2610\n止損:2521 ", T0) == 0
    assert linker.repeat_of(ETH, T0 + timedelta(hours=25)) is None
    assert linker.repeat_of(ETH.replace("2521", "2520"), T0) is None
    assert Linker(timedelta(0)).repeat_of(ETH, T0) is None


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (UpdateType.MOVE_SL, "Move SL to entry", ChannelMove(T0, MoveKind.MOVE_SL)),
        (
            UpdateType.MOVE_SL,
            "止損放在0.1552",
            ChannelMove(T0, MoveKind.MOVE_SL, price=Decimal("0.1552")),
        ),
        (UpdateType.MOVE_SL, "移動止損", None),  # no price, not "to entry": nothing to apply
        (UpdateType.SL_HIT, "Тут стоп", ChannelMove(T0, MoveKind.CLOSE)),
        (UpdateType.CLOSE, "止盈了。", ChannelMove(T0, MoveKind.CLOSE)),
        (
            UpdateType.PARTIAL_CLOSE,
            "Close 25% #ETHUSDT and move SL on entry",
            ChannelMove(T0, MoveKind.PARTIAL_CLOSE, fraction=Decimal("0.25")),
        ),
        (
            UpdateType.PARTIAL_CLOSE,
            "減倉",
            ChannelMove(T0, MoveKind.PARTIAL_CLOSE, fraction=Decimal("0.5")),
        ),
        (UpdateType.CANCEL, "撤銷", ChannelMove(T0, MoveKind.CANCEL)),
        (UpdateType.TP_HIT, "tp2", None),
        (UpdateType.ENTRY_FILLED, "Entered entry zone", None),
    ],
    ids=[
        "to-entry",
        "to-price",
        "no-price",
        "stop-hit-closes",
        "close",
        "partial-25",
        "partial-default-half",
        "cancel",
        "tp-claim",
        "filled-claim",
    ],
)
def test_updates_become_the_moves_a_plan_makes(
    kind: UpdateType, text: str, expected: ChannelMove | None
) -> None:
    assert channel_move(kind, text, T0) == expected
