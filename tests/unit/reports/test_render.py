"""The reports as Telegram shows them: valid HTML with hostile names, columns that line up
whatever a name escapes to, and the longest report split into messages Telegram takes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from handlers import reports_render as render
from services.reports.dto import (
    BookPerformance,
    PerformanceReport,
    PerformanceRow,
    PeriodReport,
    PeriodRow,
    TradesReport,
)
from services.reports.service import PERIODS
from tests.unit.render.telegram_html import HOSTILE, chunks_shown, shown
from tests.unit.reports.helpers import LIVE, PAPER, D, trade


def test_a_table_lines_up_after_escaping() -> None:
    html = render.table(["Source", "P/L USDT"], [["a&b<c>", "+1.00"], ["@x", "-12.50"]])
    lines = shown(html).splitlines()
    assert lines == ["Source  P/L USDT", "a&b<c>     +1.00", "@x        -12.50"]


def test_performance_with_a_hostile_source_name_is_valid_html() -> None:
    row = PerformanceRow(key=HOSTILE, trades=2, wins=1, pnl=D("12.5"), avg_r=D("0.25"))
    pair = replace(row, key="BTC/USDT")
    report = PerformanceReport(books=(BookPerformance(PAPER, pairs=(pair,), sources=(row,)),))
    text = shown(render.performance(report))
    assert HOSTILE[: render.MAX_NAME - 1] + "…" in text
    assert "BTC/USDT" in text and "+12.50" in text and "+0.25" in text


def test_the_longest_daily_report_is_split_into_valid_messages() -> None:
    most = PERIODS["day"][1]
    rows = tuple(
        PeriodRow(
            start=date(2026, 3, 10) - timedelta(days=i), pnl=D("-1234567.89"), trades=99, wins=50
        )
        for i in range(most)
    )
    report = PeriodReport(
        zone="America/Argentina/ComodRivadavia", unit="day", books=((PAPER, rows), (LIVE, rows))
    )
    html = render.periods(report, most)
    assert len(html) > 4096  # the case this test is about
    shown_chunks = chunks_shown(html)
    assert len(shown_chunks) >= 2
    assert sum(chunk.count("-1,234,567.89") for chunk in shown_chunks) == 2 * most


def test_trades_say_why_each_closed_and_in_which_book() -> None:
    report = TradesReport(
        zone="Asia/Tokyo",
        books=((PAPER, (trade(3, "-20", r="-1"),)), (LIVE, (trade(4, "50", r="2", book=LIVE),))),
    )
    text = shown(render.trades(report))
    assert "Paper · USDT" in text and "Live · USDT" in text
    assert text.index("Paper · USDT") < text.index("#3") < text.index("Live · USDT")
    assert "-20.00 USDT (-2.00%) · -1.00 R · the last take-profit was hit" in text
    assert "times in Asia/Tokyo" in text
