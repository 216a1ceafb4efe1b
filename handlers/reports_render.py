"""A trader's figures as Telegram HTML: /status, /profit, /daily /weekly /monthly,
/performance, /trades and /settings.

Pure functions of the report views. Numbers go through ``handlers.numbers`` (prices on the
market's tick, money with its currency); times are shown as the service gives them, already in
the user's zone, which each report names once. Tables are ``<pre>`` blocks whose cells are
padded as plain text and escaped line by line afterwards, so an escaped ``&`` in a channel name
does not shift a column. A reply may be longer than one message: the handler splits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

from core.domain import MarketType, Side
from handlers import numbers
from handlers.html import escape
from handlers.plans_render import REASONS, r_multiple
from services.reports.dto import (
    Book,
    BookPerformance,
    BookProfit,
    ClosedTrade,
    OpenTrade,
    PerformanceReport,
    PerformanceRow,
    PeriodReport,
    PeriodRow,
    ProfitReport,
    StatusReport,
    TradesReport,
    UserSettingsView,
)

UNIT_TITLES: Final = {"day": "Daily", "week": "Weekly", "month": "Monthly"}
UNIT_WORDS: Final = {"day": "days", "week": "weeks", "month": "months"}
MAX_NAME: Final = 18  # a pair or source name in a table column
NO_PRICE: Final = "price unavailable"


def local_time(at: datetime) -> str:
    """``2026-03-10 14:05``: the time as given (the report names its zone)."""
    return f"{at:%Y-%m-%d %H:%M}"


def _book(book: Book) -> str:
    return f"<b>{escape(book.label)}</b>"


def _side(side: Side) -> str:
    return "LONG" if side is Side.LONG else "SHORT"


def _pair(symbol: str, market: MarketType, leverage: int) -> str:
    return escape(symbol) + (f" {leverage}x" if market is MarketType.PERP else "")


def _signed(value: Decimal, quote: str) -> str:
    """``+12.50``: a signed sum as a table cell (the currency is in the header)."""
    text = numbers.holding(value, quote)
    return f"+{text}" if value > 0 and text.strip("0.,") else text


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "-"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal(1))}%"


def _clip(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A ``<pre>`` table: the first column left-aligned, the others right-aligned; cells are
    plain text (escaped here, after padding)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return escape("  ".join(padded).rstrip())

    return "<pre>" + "\n".join(line(cells) for cells in [header, *rows]) + "</pre>"


# -- /status ------------------------------------------------------------------------------------


def status(report: StatusReport) -> str:
    if not report.books:
        return "No open plans. Follow a channel in confirm or auto mode (/follow) to get some."
    lines = [f"<b>Open plans</b> · times in {escape(report.zone)}"]
    for book, trades in report.books:
        lines += ["", _book(book)]
        for trade in trades:
            lines += ["", *_open_lines(trade)]
    return "\n".join(lines)


def _open_lines(trade: OpenTrade) -> list[str]:
    source = f" · from {escape(trade.source)}" if trade.source else ""
    head = (
        f"<b>#{trade.plan_id}</b> {_side(trade.side)} "
        f"{_pair(trade.symbol, trade.market_type, trade.leverage)}{source} · "
        f"since {local_time(trade.opened_at)}"
    )
    step = trade.price_step
    now = numbers.price(trade.price, step) if trade.price is not None else NO_PRICE
    if trade.held > 0 and trade.avg_entry is not None:
        held = f"{numbers.amount(trade.held, trade.amount_step)} {escape(trade.base)}"
        where = f"Entry {numbers.price(trade.avg_entry, step)} · now {now} · held {held}"
    else:
        where = f"Entry {_zone(trade)} · now {now} · waiting for the entry"
    lines = [head, where]
    pnl = trade.pnl
    if pnl is not None and (trade.held > 0 or trade.realized):
        lines.append(
            f"P/L {numbers.pnl(pnl, trade.book.quote, trade.stake)} · {r_multiple(trade.r)}"
        )
    elif trade.held > 0:
        lines.append("P/L: not known without a price")
    target = (
        f"Next TP{trade.target_no} {numbers.price(trade.next_target, step)}"
        if trade.next_target is not None
        else "No target left"
    )
    stop = numbers.price(trade.stop, step) if trade.stop is not None else "none"
    lines.append(f"{target} · stop {stop}")
    return lines


def _zone(trade: OpenTrade) -> str:
    if trade.entry_low is None:
        return "at the market"
    text = numbers.price(trade.entry_low, trade.price_step)
    if trade.entry_high is not None and trade.entry_high != trade.entry_low:
        text += f" – {numbers.price(trade.entry_high, trade.price_step)}"
    return text


# -- /profit ------------------------------------------------------------------------------------


def profit(report: ProfitReport, days: int | None) -> str:
    span = "all trades" if days is None else f"the last {days} day{'s' if days != 1 else ''}"
    if not report.books:
        return f"No trades and no open plans in {span}."
    since = ""
    if report.since is not None:
        since = f" (since {local_time(report.since)} {escape(report.zone)})"
    lines = [f"<b>Profit</b> · {span}{since}"]
    for book in report.books:
        lines += ["", _book(book.book), *_profit_lines(book)]
    return "\n".join(lines)


def _profit_lines(book: BookProfit) -> list[str]:
    quote, fig = book.book.quote, book.figures
    lines = []
    if fig.trades:
        lines.append(
            f"Realised: {numbers.pnl(fig.realized, quote)} from {fig.trades} "
            f"trade{'s' if fig.trades != 1 else ''} (fees {numbers.money(fig.fees, quote)})"
        )
    else:
        lines.append("Realised: no trades closed")
    if book.open_trades:
        unpriced = f", {book.unpriced} not priced" if book.unpriced else ""
        lines.append(
            f"Unrealised: {numbers.pnl(book.unrealized, quote)} on {book.open_trades} "
            f"open plan{'s' if book.open_trades != 1 else ''}{unpriced}"
        )
        lines.append(f"Total: {numbers.pnl(fig.realized + book.unrealized, quote)}")
    if not fig.trades:
        return lines
    lines.append(f"Win rate: {_rate(fig.win_rate)} ({fig.wins} won, {fig.losses} lost)")
    if fig.expectancy is not None:
        per_r = f" · {r_multiple(fig.expectancy_r)}" if fig.expectancy_r is not None else ""
        lines.append(f"Expectancy: {numbers.pnl(fig.expectancy, quote)} per trade{per_r}")
    if fig.best is not None and fig.worst is not None:
        lines.append(f"Best: {_trade_brief(fig.best)}")
        lines.append(f"Worst: {_trade_brief(fig.worst)}")
    return lines


def _rate(rate: Decimal | None) -> str:
    if rate is None:
        return "-"
    return f"{(rate * 100).quantize(Decimal('0.1'))}%"


def _trade_brief(trade: ClosedTrade) -> str:
    return (
        f"#{trade.plan_id} {escape(trade.symbol)} "
        f"{numbers.pnl(trade.pnl, trade.book.quote, trade.stake)} · "
        f"{trade.closed_at:%Y-%m-%d}"
    )


# -- /daily /weekly /monthly --------------------------------------------------------------------


def periods(report: PeriodReport, count: int) -> str:
    words = UNIT_WORDS[report.unit]
    if not report.books:
        return f"No trades in the last {count} {words} ({escape(report.zone)})."
    lines = [f"<b>{UNIT_TITLES[report.unit]} P/L</b> · {escape(report.zone)}"]
    for book, rows in report.books:
        lines += ["", _book(book), _period_table(report, book, rows)]
    return "\n".join(lines)


def _period_label(report: PeriodReport, row: PeriodRow) -> str:
    if report.unit == "month":
        return f"{row.start:%Y-%m}"
    return f"{row.start:%Y-%m-%d}"


def _period_table(report: PeriodReport, book: Book, rows: Sequence[PeriodRow]) -> str:
    first = {"day": "Day", "week": "Week of", "month": "Month"}[report.unit]
    body = [
        [
            _period_label(report, row),
            _signed(row.pnl, book.quote),
            str(row.trades),
            _percent(row.wins, row.trades),
        ]
        for row in rows
    ]
    total = sum((row.pnl for row in rows), Decimal(0))
    trades, wins = sum(r.trades for r in rows), sum(r.wins for r in rows)
    body.append(["Total", _signed(total, book.quote), str(trades), _percent(wins, trades)])
    return table([first, f"P/L {book.quote}", "Trades", "Won"], body)


# -- /performance -------------------------------------------------------------------------------


def performance(report: PerformanceReport) -> str:
    if not report.books:
        return "No trades yet: the figures per pair and per source start with your first one."
    lines = ["<b>Performance</b> · every trade"]
    for book in report.books:
        lines += ["", _book(book.book), *_performance_lines(book)]
    return "\n".join(lines)


def _performance_lines(book: BookPerformance) -> list[str]:
    return [
        "Per pair:",
        _performance_table("Pair", book.book, book.pairs),
        "Per source:",
        _performance_table("Source", book.book, book.sources),
    ]


def _performance_table(first: str, book: Book, rows: Sequence[PerformanceRow]) -> str:
    body = [
        [
            _clip(row.key),
            str(row.trades),
            _percent(row.wins, row.trades),
            _signed(row.pnl, book.quote),
            _r_cell(row.avg_r),
        ]
        for row in rows
    ]
    return table([first, "Trades", "Won", f"P/L {book.quote}", "Avg R"], body)


def _r_cell(value: Decimal | None) -> str:
    if value is None:
        return "-"
    shown = value.quantize(Decimal("0.01"))
    return f"{'+' if shown > 0 else ''}{shown}"


# -- /trades ------------------------------------------------------------------------------------


def trades(report: TradesReport) -> str:
    if not report.books:
        return "No closed trades yet: /status shows the open ones."
    lines = [f"<b>Last trades</b> · times in {escape(report.zone)}"]
    for book, closed in report.books:
        lines += ["", _book(book)]
        lines += [_trade_line(trade) for trade in closed]
    return "\n".join(lines)


def _trade_line(trade: ClosedTrade) -> str:
    reason = REASONS.get(trade.reason or "", (trade.reason or "").replace("_", " "))
    why = f" · {escape(reason)}" if reason else ""
    entry = (
        f" @ {numbers.price(trade.avg_entry, trade.price_step)}"
        if trade.avg_entry is not None
        else ""
    )
    return (
        f"<b>#{trade.plan_id}</b> {_side(trade.side)} "
        f"{_pair(trade.symbol, trade.market_type, trade.leverage)}{entry} · "
        f"closed {local_time(trade.closed_at)} · "
        f"{numbers.pnl(trade.pnl, trade.book.quote, trade.stake)} · {r_multiple(trade.r)}{why}"
    )


# -- /settings ----------------------------------------------------------------------------------


def settings(view: UserSettingsView) -> str:
    return "\n".join(
        [
            "<b>Your settings</b>",
            _zone_line(view),
            "",
            "Change it: /settings tz Area/City (e.g. Europe/Berlin) or /settings tz UTC+3",
            "Your channels' trading settings: /following",
        ]
    )


def zone_set(view: UserSettingsView) -> str:
    return f"Saved. {_zone_line(view)}\nYour reports (/daily, /trades ...) now use it."


def _zone_line(view: UserSettingsView) -> str:
    offset = view.now.strftime("%z")
    shown = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return (
        f"Time zone: {escape(view.zone)} (your time now: {local_time(view.now)}, {escape(shown)})"
    )
