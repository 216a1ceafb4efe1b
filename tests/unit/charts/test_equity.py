"""The equity chart: a phone-sized PNG in both themes, for no, one or many trades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.charts import Theme, equity_chart
from services.tracking.model import Result
from services.tracking.scores import ScoredSignal, equity_curve
from tests.unit.charts.conftest import assert_phone_png, corner_brightness

START = datetime(2025, 1, 1, tzinfo=UTC)
PATTERN = ["-1", "2", "0.5", "-1", "1.5", "-0.3", "-1", "-1", "3.25"]


def trades(count: int) -> list[ScoredSignal]:
    return [
        ScoredSignal(
            posted_at=START + timedelta(hours=6 * i),
            result=Result.SL,
            r=Decimal(PATTERN[i % len(PATTERN)]),
            closed_at=START + timedelta(hours=6 * i + 5),
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("theme", list(Theme), ids=str)
@pytest.mark.parametrize("count", [1, 9, 400], ids=lambda n: f"{n} trades")
def test_equity_chart_is_a_phone_png(theme: Theme, count: int) -> None:
    png = equity_chart(equity_curve(trades(count)), title="Crypto Whales · 90 days", theme=theme)
    assert_phone_png(png)


@pytest.mark.parametrize("theme", list(Theme), ids=str)
def test_empty_equity_is_a_friendly_figure(theme: Theme) -> None:
    """No closed trade draws a figure that says so, not an error or an empty axes."""
    assert_phone_png(equity_chart([], title="New channel", theme=theme))


def test_themes_differ_dark_is_dark() -> None:
    points = equity_curve(trades(20))
    dark = equity_chart(points, title="t", theme=Theme.DARK)
    light = equity_chart(points, title="t", theme=Theme.LIGHT)
    assert corner_brightness(dark) < 0.2
    assert corner_brightness(light) > 0.9


def test_all_losses_and_all_wins_draw() -> None:
    losses = [
        ScoredSignal(START, Result.SL, Decimal(-1), closed_at=START + timedelta(days=d))
        for d in range(5)
    ]
    wins = [
        ScoredSignal(START, Result.TP_ALL, Decimal(2), closed_at=START + timedelta(days=d))
        for d in range(5)
    ]
    for signals in (losses, wins):
        assert_phone_png(equity_chart(equity_curve(signals), title="one-sided", theme=Theme.DARK))
