"""Pure rendering of the in-chat backtest: the summary of a run (the ``summary`` object of
``tsbot backtest --json``) as Telegram HTML, the chart's caption and the usage of /backtest.

The table is the CLI's (``services.backtest.report.summary_table``) as a monospace ``<pre>``
block: one row per figure, the price outcome and the followed outcome side by side. Every
source or file name is escaped; figures arrive as decimal strings and are shown rounded.
"""

from __future__ import annotations

from typing import Any, Final

from handlers.html import escape
from handlers.reports_render import table
from services.backtest.report import summary_rows
from services.backtest.service import MAX_EXPORT_BYTES

MB: Final = 1024 * 1024
MAX_NAME: Final = 64  # a source name longer than this is clipped in the title


def _name(summary: dict[str, Any]) -> str:
    name = str(summary["source"] or "the channel")
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def summary(summary_: dict[str, Any]) -> str:
    """The run's figures: what was read, then the table."""
    read = (
        f"{summary_['posts']} posts read: {summary_['signals']} signals tracked, "
        f"{summary_['updates']} updates ({summary_['linked_updates']} linked to a signal)"
    )
    extras = []
    if summary_["repeated_entries"]:
        extras.append(f"{summary_['repeated_entries']} repeated entries")
    if summary_["untracked_entries"]:
        extras.append(f"{summary_['untracked_entries']} entries without a side or a price")
    if extras:
        read += "; " + ", ".join(extras) + " left out"
    lines = [
        f"📈 <b>Backtest of {escape(_name(summary_))}</b>",
        escape(read) + ".",
        table(["", "price outcome", "followed outcome"], summary_rows(summary_)),
        "Price: the candles alone. Followed: with the channel's own updates applied "
        "(stop moves, closes, cancels).",
    ]
    if summary_["dates_assumed_utc"]:
        lines.append("Note: some messages had no date_unixtime; their local date was read as UTC.")
    return "\n".join(lines)


def chart_caption(summary_: dict[str, Any]) -> str:
    return (
        f"{escape(_name(summary_))}: equity in R of the price outcomes "
        "(each closed signal's R as a bar, the running total as the line)."
    )


def usage() -> str:
    return "\n".join(
        [
            "<b>/backtest</b>: replay a channel's history on this bot's candles.",
            "1. In Telegram Desktop, open the channel: ⋮ → Export chat history, format "
            "'Machine-readable JSON' (no media needed).",
            "2. Send me its <code>result.json</code> (or a .zip of the export folder) as a file, "
            "with the caption <code>/backtest &lt;source name&gt;</code> (the name is optional: "
            "the export's own is used).",
            f"Files up to {MAX_EXPORT_BYTES // MB} MB (what a bot may download from Telegram). "
            "You get the summary and the equity chart back.",
        ]
    )
