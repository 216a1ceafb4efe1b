"""What a backtest reports: the summary figures, the ``--json`` document, the summary table.

The figures are the tracker's scores (``services.tracking.scores.score``) over all the replayed
signals, once for the price outcomes and once for the followed outcomes, plus how many signals
ended each way. The JSON document is exactly ``{"summary": {...}, "signals": [...]}``; its times
are ISO-8601 UTC (``2025-07-14T10:20:00Z``) and its numbers decimal strings: prices exactly as
the post wrote them or as the candles hold them, computed figures (R, rates, averages) rounded
to ``PLACES`` decimals, counts plain integers.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from rich.table import Table

from services.backtest.export import ExportHistory
from services.backtest.run import BacktestRun, BacktestSignal
from services.tracking.model import Outcome, Result
from services.tracking.scores import (
    EquityPoint,
    ScoredSignal,
    SourceScore,
    equity_curve,
    score,
)

__all__ = ["PLACES", "equity", "json_document", "scored", "summary", "summary_table"]

PLACES: Final = Decimal("0.0001")
RESULT_ORDER: Final = (
    Result.TP_ALL,
    Result.TP_PARTIAL_THEN_SL,
    Result.SL,
    Result.CLOSED,
    Result.CANCELLED,
    Result.EXPIRED,
    Result.NOT_FILLED,
    Result.OPEN,
    Result.NO_DATA,
)


def scored(signal: BacktestSignal, *, followed: bool) -> ScoredSignal:
    """What the scores read of one signal (its price or its followed outcome)."""
    outcome = signal.followed if followed else signal.price
    return ScoredSignal(
        posted_at=signal.post.posted_at,
        result=outcome.result,
        r=outcome.r,
        filled_at=outcome.filled_at,
        tp1_at=outcome.tp1_at(),
        closed_at=outcome.closed_at,
        claimed_tp=signal.claimed_tp,
        confirmed_tp=min(signal.claimed_tp, signal.price.targets_hit),
    )


def _score(run: BacktestRun, *, followed: bool) -> SourceScore:
    signals = [scored(s, followed=followed) for s in run.signals]
    now = max((s.posted_at for s in signals), default=datetime.now(UTC))
    return score(signals, now)


def summary(run: BacktestRun, history: ExportHistory, source: str | None) -> dict[str, Any]:
    """The ``summary`` object of the JSON document."""
    return {
        "source": source,
        "posts": run.posts,
        "skipped_messages": history.skipped,
        "signals": len(run.signals),
        "untracked_entries": run.untracked_entries,
        "repeated_entries": run.repeats,
        "updates": run.updates,
        "linked_updates": run.linked_updates,
        "dates_assumed_utc": history.dates_assumed_utc,
        "price": _figures(run, followed=False),
        "followed": _figures(run, followed=True),
    }


def _figures(run: BacktestRun, *, followed: bool) -> dict[str, Any]:
    figures = _score(run, followed=followed)
    counts = Counter((s.followed if followed else s.price).result for s in run.signals)
    return {
        "outcomes": {r.value: counts[r] for r in RESULT_ORDER if counts[r]},
        "filled": figures.filled,
        "fill_rate": _number(figures.fill_rate),
        "win_rate": _number(figures.win_rate),
        "trades": figures.trades,
        "avg_r": _number(figures.avg_r),
        "expectancy": _number(figures.expectancy),
        "profit_factor": _number(figures.profit_factor),
        "max_drawdown_r": _number(figures.max_drawdown),
        "total_r": _number(figures.total_r),
        "tp_claims": figures.claims,
        "tp_claims_confirmed": figures.claims_confirmed,
    }


def equity(run: BacktestRun) -> list[EquityPoint]:
    """The price outcomes' trades in close order with their running R (the chart's curve)."""
    return equity_curve(scored(s, followed=False) for s in run.signals)


def json_document(run: BacktestRun, summary_: dict[str, Any]) -> dict[str, Any]:
    """``{"summary": ..., "signals": [...]}``, one record per tracked signal."""
    return {"summary": summary_, "signals": [_signal_record(s) for s in run.signals]}


def _signal_record(signal: BacktestSignal) -> dict[str, Any]:
    parsed = signal.parsed
    entry = parsed.entry
    return {
        "message_id": signal.post.message_id,
        "date": _time(signal.post.posted_at),
        "base": parsed.base,
        "quote": parsed.quote,
        "side": parsed.side.value if parsed.side is not None else None,
        "market": parsed.market.value if parsed.market is not None else None,
        "entry": [str(p) for p in entry] if isinstance(entry, tuple) else entry,
        "targets": [str(t) for t in parsed.targets],
        "stop_loss": _price(parsed.stop_loss),
        "leverage": _price(parsed.leverage),
        "timeframe": signal.timeframe,
        "price_outcome": _outcome_record(signal.price),
        "followed_outcome": _outcome_record(signal.followed),
    }


def _outcome_record(outcome: Outcome) -> dict[str, Any]:
    return {
        "result": outcome.result.value,
        "filled_at": _time(outcome.filled_at),
        "fill_price": _price(outcome.fill_price),
        "targets_hit": outcome.targets_hit,
        "stop_hit": outcome.stop_hit,
        "closed_at": _time(outcome.closed_at),
        "r": _number(outcome.r),
    }


def _time(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _price(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _number(value: Decimal | None) -> str | None:
    """A computed figure rounded to ``PLACES`` (trailing zeros kept: ``1.5000``)."""
    if value is None:
        return None
    return str(value.quantize(PLACES, rounding=ROUND_HALF_EVEN))


def summary_rows(summary_: dict[str, Any]) -> list[list[str]]:
    """The summary's figures as text, one row per figure: (figure, price, followed). The CLI's
    table and the chat's table both show these rows."""
    price, followed = summary_["price"], summary_["followed"]
    signals = str(summary_["signals"])
    rows = [["signals", signals, signals]]
    for result in RESULT_ORDER:
        a, b = price["outcomes"].get(result.value, 0), followed["outcomes"].get(result.value, 0)
        if a or b:
            rows.append([f"  {result.value}", str(a), str(b)])
    for label, key, show in FIGURES:
        rows.append([label, show(price[key]), show(followed[key])])
    rows.append(
        ["TP claims confirmed", f"{price['tp_claims_confirmed']} of {price['tp_claims']}", ""]
    )
    return rows


def summary_table(summary_: dict[str, Any]) -> Table:
    """The summary as a rich table: one row per figure, price and followed side by side."""
    title = f"Backtest of {summary_['source']}" if summary_["source"] else "Backtest"
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("price outcome", justify="right")
    table.add_column("followed outcome", justify="right")
    for row in summary_rows(summary_):
        table.add_row(*row)
    return table


def _percent(value: str | None) -> str:
    return "-" if value is None else f"{Decimal(value):.0%}"


def _r(value: str | None) -> str:
    return "-" if value is None else f"{Decimal(value):+.2f} R"


def _drawdown(value: str | None) -> str:
    return "-" if value is None else f"{Decimal(value):.2f} R"


def _plain(value: str | None) -> str:
    return "-" if value is None else f"{Decimal(value):.2f}"


FIGURES: Final = (
    ("filled", "fill_rate", _percent),
    ("win rate (TP1)", "win_rate", _percent),
    ("average R", "avg_r", _r),
    ("expectancy", "expectancy", _r),
    ("profit factor", "profit_factor", _plain),
    ("max drawdown", "max_drawdown_r", _drawdown),
    ("total", "total_r", _r),
)
