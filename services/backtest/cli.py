"""``tsbot backtest EXPORT --candles DIR``: replay a channel's Telegram export against candles.

Reads the export (``export.read_export``) and freqtrade's data directory
(``DirectoryCandleStore``), replays the history (``run.replay``) with a progress bar on stderr,
prints the summary table on stdout, and writes the JSON document (``--json``) and the equity
chart (``--chart``, a PNG) when asked. Exit codes: 0 done, 2 bad input (not an export, no candle
directory, an unreadable candle file, an output that cannot be written), each with one clear
line on stderr.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.backtest.export import ExportError, ExportHistory, read_export
from services.backtest.report import equity, json_document, summary, summary_table
from services.backtest.run import BacktestRun, Parse, replay
from services.charts.equity import equity_chart
from services.charts.style import Theme
from services.exchange.candle_files import CandleFileError
from services.signal_parser import ParseResult
from services.signal_parser.ai import ModelFallback, parse_with_fallback
from services.tracking.candle_store import DirectoryCandleStore

__all__ = ["EXIT_BAD_INPUT", "backtest"]

EXIT_BAD_INPUT: Final = 2


async def backtest(  # noqa: PLR0913 - the command's arguments and the bot's parser settings
    export: Path,
    candles: Path,
    *,
    source: str | None,
    json_out: Path | None,
    chart_out: Path | None,
    ai: ModelFallback | None,
    threshold: float,
    duplicate_window: timedelta,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the backtest; returns the exit code (0 done, 2 bad input)."""
    err_console = Console(file=err or sys.stderr, highlight=False)
    try:
        history = read_export(export)
        store = DirectoryCandleStore(candles)
    except ExportError as exc:
        return _bad(err_console, exc.user_message)
    except FileNotFoundError:
        return _bad(err_console, f"No candle directory at {candles} (freqtrade's data layout).")

    async def parse(text: str) -> ParseResult:
        return await parse_with_fallback(text, ai, threshold)

    try:
        run = await _replay(history, parse, store, duplicate_window, threshold, err_console)
    except (CandleFileError, OSError) as exc:
        return _bad(err_console, f"Could not read the candles: {exc}")
    name = source or history.name or export.stem
    report = summary(run, history, name)
    if history.dates_assumed_utc:
        err_console.print(
            "note: some messages have no date_unixtime; their local 'date' was read as UTC"
        )
    Console(file=out or sys.stdout, highlight=False).print(summary_table(report))
    try:
        _write(run, report, json_out, chart_out)
    except OSError as exc:
        return _bad(err_console, f"Could not write the output: {exc}")
    return 0


async def _replay(  # noqa: PLR0913 - what replay needs, and where the bar goes
    history: ExportHistory,
    parse: Parse,
    store: DirectoryCandleStore,
    duplicate_window: timedelta,
    threshold: float,
    console: Console,
) -> BacktestRun:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("posts", total=len(history.posts))
        return await replay(
            history,
            parse,
            store,
            threshold=threshold,
            duplicate_window=duplicate_window,
            on_post=lambda: progress.advance(task),
        )


def _write(
    run: BacktestRun, report: dict[str, Any], json_out: Path | None, chart_out: Path | None
) -> None:
    """The JSON document and the chart, when asked for (the run is over: plain blocking I/O)."""
    if json_out is not None:
        text = json.dumps(json_document(run, report), ensure_ascii=False, indent=2)
        json_out.write_text(text + "\n", encoding="utf-8")
    if chart_out is not None:
        title = f"{report['source']}: equity in R"
        chart_out.write_bytes(equity_chart(equity(run), title=title, theme=Theme.LIGHT))


def _bad(console: Console, message: str) -> int:
    console.print(f"tsbot backtest: {message}", markup=False)
    return EXIT_BAD_INPUT
