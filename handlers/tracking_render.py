"""Pure rendering of the tracker and the scores: DTOs in, Telegram HTML out (every source name
escaped). ``TrackerHtml`` renders the steps the tracker queues for followers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

from handlers import numbers
from handlers.html import escape
from handlers.signals_render import headline
from handlers.tracking_callbacks import ChartCallback
from services.signal_dto import SignalView, SourceView
from services.tracking.dto import OutcomeView
from services.tracking.model import Result, TrackEvent
from services.tracking.scores import SourceScore
from services.tracking.service import WINDOWS, SourceStats

RESULTS: Final = {
    Result.OPEN: "open",
    Result.TP_ALL: "all targets hit",
    Result.TP_PARTIAL_THEN_SL: "targets, then the stop",
    Result.SL: "stopped out",
    Result.EXPIRED: "expired",
    Result.NOT_FILLED: "entry never filled",
    Result.NO_DATA: "no price data",
    Result.CLOSED: "closed by the channel",
    Result.CANCELLED: "cancelled by the channel",
}
STEPS: Final = {
    "filled": "entry filled",
    "sl": "stop hit",
    "expired": "expired",
    "not_filled": "entry not filled in time",
    "sl_moved": "stop moved",
    "partial_close": "part closed",
    "closed": "closed",
    "cancelled": "cancelled",
}
KINDS: Final = {"price": "Prices", "followed": "Following the channel"}
WINDOW_NAMES: Final = {30: "30 days", 90: "90 days", None: "all time"}


def r_text(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f} R"


def rate(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def step(event: TrackEvent) -> str:
    what = f"TP{event.target} hit" if event.kind == "tp" else STEPS.get(event.kind, event.kind)
    at = f" at {numbers.price(event.price)}" if event.price is not None else ""
    return f"{what}{at}"


def result_text(outcome: OutcomeView) -> str:
    text = RESULTS.get(outcome.result, outcome.result.value)
    if outcome.result is Result.TP_PARTIAL_THEN_SL:
        text = (
            f"{outcome.targets_hit} target{'s' if outcome.targets_hit != 1 else ''}, then the stop"
        )
    return text


def tracked_event(signal: SignalView, event: TrackEvent, outcome: OutcomeView) -> str:
    source = escape(signal.source_name or "a channel you follow")
    lines = [
        f"📊 <b>{headline(signal)}</b> from {source}",
        f"Prices: <b>{escape(step(event))}</b> ({escape(numbers.moment(event.at))})",
    ]
    if outcome.result is not Result.OPEN:
        lines.append(f"Result: {escape(result_text(outcome))}, {escape(r_text(outcome.r))}")
    lines.append(f"/signal {signal.id} for the chart")
    return "\n".join(lines)


def outcome_lines(outcomes: Sequence[OutcomeView]) -> list[str]:
    """The tracked outcomes under a signal's card (``/signal``)."""
    if not outcomes:
        return ["\n<b>Tracking</b>: not tracked yet (the tracker runs every minute)."]
    lines = ["\n<b>Tracking</b> (from candles)"]
    for outcome in outcomes:
        parts = [escape(result_text(outcome))]
        if outcome.fill_price is not None and outcome.filled_at is not None:
            parts.append(
                f"filled {numbers.price(outcome.fill_price)} "
                f"({escape(numbers.moment(outcome.filled_at))})"
            )
        if outcome.r is not None:
            parts.append(escape(r_text(outcome.r)))
        lines.append(f"{escape(KINDS.get(outcome.kind, outcome.kind))}: " + ", ".join(parts))
    first = outcomes[0]
    if first.symbol and first.timeframe:
        lines.append(f"<i>{escape(first.timeframe)} candles of {escape(first.symbol)}</i>")
    steps = [e for e in first.events if e.kind != "filled"]
    if steps:
        lines.append("Steps: " + escape("; ".join(step(e) for e in steps)))
    return lines


def chart_buttons(kind: str, row_id: int) -> list[list[dict[str, Any]]]:
    def button(text: str, theme: str) -> dict[str, Any]:
        data = ChartCallback(kind=kind, row_id=row_id, theme=theme).pack()
        return {"text": text, "callback_data": data}

    return [[button("📈 Chart", "dark"), button("📈 Light chart", "light")]]


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    hours = value.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _table_row(label: str, values: Sequence[str]) -> str:
    return f"{label:<16}" + "".join(f"{v:>10}" for v in values)


def stats(item: SourceStats) -> str:
    """``/stats``: the figures per window as a monospace table."""
    scores = item.scores
    rows: list[tuple[str, list[str]]] = [
        ("Signals", [str(s.signals) for s in scores]),
        ("Filled", [f"{s.filled} {rate(s.fill_rate)}" for s in scores]),
        ("Win rate (TP1)", [rate(s.win_rate) for s in scores]),
        ("Average R", [_plain_r(s.avg_r) for s in scores]),
        ("Average win R", [_plain_r(s.avg_win_r) for s in scores]),
        ("Average loss R", [_plain_r(s.avg_loss_r) for s in scores]),
        ("Expectancy R", [_plain_r(s.expectancy) for s in scores]),
        ("Profit factor", [_factor(s.profit_factor) for s in scores]),
        ("Max drawdown R", [_plain_r(s.max_drawdown) for s in scores]),
        ("Total R", [_plain_r(s.total_r) for s in scores]),
        ("Time to TP1", [_duration(s.median_time_to_tp1) for s in scores]),
        ("Losing streak", [str(s.longest_losing_streak) for s in scores]),
        ("TP claims true", [f"{s.claims_confirmed}/{s.claims}" for s in scores]),
    ]
    header = _table_row("", [WINDOW_NAMES[d] for d in WINDOWS])
    table = "\n".join([header, *(_table_row(label, values) for label, values in rows)])
    return (
        f"📈 <b>{escape(item.source.name)}</b>: scores from prices\n"
        f"<pre>{escape(table)}</pre>\n"
        "<i>Every entry signal is tracked on candles from its post: win = TP1 reached; "
        'R with an even split over the targets; "TP claims true": the channel\'s '
        '"TP hit" posts the prices confirm.</i>'
    )


def _plain_r(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def _factor(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def top(min_signals: int, ranked: Sequence[tuple[SourceView, SourceScore]]) -> str:
    if not ranked:
        return (
            f"No source has {min_signals} tracked signals yet: /top ranks sources with at "
            "least that many. /sources lists them; /stats &lt;source&gt; shows one."
        )
    lines = [f"🏆 <b>Top sources</b> by expectancy (at least {min_signals} signals, all time)"]
    for place, (source, score) in enumerate(ranked[:20], start=1):
        lines.append(
            f"{place}. <b>{escape(source.name)}</b>: {_plain_r(score.expectancy)} R per signal, "
            f"win {rate(score.win_rate)}, {score.signals} signals, "
            f"drawdown {_plain_r(score.max_drawdown)} R"
        )
    lines.append("/stats &lt;source&gt; for the figures and the chart.")
    return "\n".join(lines)


class TrackerHtml:
    def tracked_event(self, signal: SignalView, event: TrackEvent, outcome: OutcomeView) -> str:
        return tracked_event(signal, event, outcome)
