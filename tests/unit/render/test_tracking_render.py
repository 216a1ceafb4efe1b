"""The tracker's notes, /signal's tracking lines, /stats and /top: every result and step, with
hostile source names, checked by the console's Telegram HTML parser."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from handlers import tracking_render as tr
from services.tracking.dto import OutcomeView
from services.tracking.model import Result, TrackEvent
from services.tracking.scores import ScoredSignal, score
from services.tracking.service import WINDOWS, SourceStats
from tests.unit.render.telegram_html import HOSTILE_TEXTS, assert_shows, shown
from tests.unit.render.views import AT, signal, source

D = Decimal
STEPS = [
    TrackEvent("filled", AT, D(61000)),
    TrackEvent("tp", AT, D(62000), 1),
    TrackEvent("sl", AT, D(58000)),
    TrackEvent("expired", AT, D(60500)),
    TrackEvent("not_filled", AT),
    TrackEvent("sl_moved", AT, D(61000)),
    TrackEvent("partial_close", AT, D(61500)),
    TrackEvent("closed", AT, D(61500)),
    TrackEvent("cancelled", AT),
]


def outcome(result: Result, **fields: object) -> OutcomeView:
    base: dict[str, object] = {
        "kind": "price",
        "result": result,
        "symbol": "BTC/USDT:USDT",
        "timeframe": "5m",
        "filled_at": AT,
        "fill_price": D(61000),
        "targets_hit": 1,
        "stop_hit": True,
        "closed_at": AT,
        "r": D("-0.3333"),
        "events": tuple(STEPS[:3]),
        "checked_to": AT,
    }
    return OutcomeView(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize("event", STEPS, ids=[e.kind for e in STEPS])
@pytest.mark.parametrize("name", HOSTILE_TEXTS)
def test_tracked_event_escapes_the_source(event: TrackEvent, name: str) -> None:
    html = tr.tracked_event(signal(source_name=name), event, outcome(Result.SL))
    assert_shows(html, name)
    assert_shows(html, tr.step(event))
    assert "-0.33 R" in shown(html)


@pytest.mark.parametrize("result", list(Result))
def test_every_result_reads(result: Result) -> None:
    lines = tr.outcome_lines([outcome(result), outcome(result, kind="followed")])
    text = shown("\n".join(lines))
    assert "Prices:" in text and "Following the channel:" in text
    assert tr.result_text(outcome(result)) in text
    assert "5m candles of BTC/USDT:USDT" in text


def test_untracked_signal_says_so() -> None:
    assert "not tracked yet" in shown("\n".join(tr.outcome_lines([])))


@pytest.mark.parametrize("name", HOSTILE_TEXTS)
def test_stats_and_top(name: str) -> None:
    signals = [
        ScoredSignal(AT - timedelta(days=d), Result.SL, D(-1), AT, None, AT, 1, 0) for d in (1, 40)
    ] + [ScoredSignal(AT - timedelta(days=2), Result.TP_ALL, D(2), AT, AT, AT, 2, 2)]
    scores = tuple(score(signals, AT, days) for days in WINDOWS)
    view = source(title=name)
    html = tr.stats(SourceStats(view, scores))
    assert_shows(html, name)
    text = shown(html)
    assert "Win rate (TP1)" in text and "2/3" in text  # 2 of 3 claims confirmed (all time)
    top = tr.top(1, [(view, scores[-1])])
    assert_shows(top, name)
    assert "1 tracked signals yet" not in shown(top)
    assert "No source has 5 tracked signals yet" in shown(tr.top(5, []))
