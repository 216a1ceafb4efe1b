"""Pure arithmetic of the reports: trades in, figures out. No I/O, no clock, Decimal only.

Rules, whatever the report:

- a trade is a win when its realised P/L (fees included) is above zero, a loss when below;
  a trade at exactly zero is neither, but counts in the trades (and so lowers the win rate);
- win rate = wins / trades; expectancy = mean P/L per trade (quote) and mean R over the trades
  that have an R (a plan without a stop has none);
- best and worst are by P/L in quote; a tie goes to the earlier close;
- a period is a local calendar day, an ISO week (from Monday) or a month, in the user's time
  zone: a trade belongs to the period its close falls in, read on the local clock;
- everything is per ``Book`` (paper or live, one quote currency) and books come out sorted,
  paper first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Final, TypeVar

from core.domain import Side
from services.reports.dto import (
    Book,
    ClosedTrade,
    Figures,
    OpenPlan,
    OpenTrade,
    PerformanceRow,
    PeriodRow,
    Unit,
)

ZERO: Final = Decimal(0)
T = TypeVar("T", ClosedTrade, OpenTrade)


def by_book(items: Iterable[T]) -> list[tuple[Book, list[T]]]:
    """``items`` grouped by book, books sorted (paper first), order kept within a book."""
    groups: dict[Book, list[T]] = defaultdict(list)
    for item in items:
        groups[item.book].append(item)
    return sorted(groups.items())


def figures(trades: Sequence[ClosedTrade]) -> Figures:
    """Counts, P/L, win rate, expectancy and best/worst of the trades of one book."""
    count = len(trades)
    wins = sum(1 for t in trades if t.pnl > 0)
    losses = sum(1 for t in trades if t.pnl < 0)
    realized = sum((t.pnl for t in trades), ZERO)
    rs = [t.r for t in trades if t.r is not None]
    ordered = sorted(trades, key=lambda t: (t.closed_at, t.plan_id))
    return Figures(
        trades=count,
        wins=wins,
        losses=losses,
        realized=realized,
        fees=sum((t.fees for t in trades), ZERO),
        win_rate=Decimal(wins) / count if count else None,
        expectancy=realized / count if count else None,
        expectancy_r=sum(rs, ZERO) / len(rs) if rs else None,
        best=max(ordered, key=lambda t: t.pnl, default=None),  # the first of equals
        worst=min(ordered, key=lambda t: t.pnl, default=None),
    )


# -- open positions ---------------------------------------------------------------------------


def open_trade(plan: OpenPlan, price: Decimal | None, opened_at: datetime) -> OpenTrade:
    """``plan`` at ``price``: unrealised P/L, total R, the next target and the stop."""
    gain = unrealized(plan.side, plan.avg_entry, plan.held, price)
    total = plan.realized + gain if gain is not None else None
    if plan.held <= 0:
        total = plan.realized if plan.filled > 0 else None
    next_no = plan.targets_hit + 1 if plan.targets_hit < len(plan.targets) else None
    return OpenTrade(
        plan_id=plan.plan_id,
        book=plan.book,
        symbol=plan.symbol,
        side=plan.side,
        market_type=plan.market_type,
        leverage=plan.leverage,
        status=plan.status,
        source=plan.source,
        account=plan.account.label,
        entry_low=plan.entry_low,
        entry_high=plan.entry_high,
        avg_entry=plan.avg_entry,
        held=plan.held,
        price=price,
        realized=plan.realized,
        unrealized=gain,
        stake=stake(plan.avg_entry, plan.filled, plan.leverage),
        r=r_multiple(total, plan.avg_entry, plan.initial_stop, plan.filled),
        next_target=plan.targets[next_no - 1] if next_no is not None else None,
        target_no=next_no,
        stop=plan.stop,
        opened_at=opened_at,
        price_step=plan.price_step,
        amount_step=plan.amount_step,
    )


def unrealized(
    side: Side, avg_entry: Decimal | None, held: Decimal, price: Decimal | None
) -> Decimal | None:
    """What closing ``held`` at ``price`` would add (None when nothing is held or no price)."""
    if held <= 0 or price is None or avg_entry is None:
        return None
    move = price - avg_entry if side is Side.LONG else avg_entry - price
    return move * held


def r_multiple(
    pnl: Decimal | None, avg_entry: Decimal | None, stop: Decimal | None, filled: Decimal
) -> Decimal | None:
    """P/L over the risk taken, ``|avg_entry - initial stop| * filled``, as the engine's
    realised R (2 decimals); None without a stop, an entry or a P/L."""
    if pnl is None or avg_entry is None or stop is None or filled <= 0:
        return None
    risk = abs(avg_entry - stop) * filled
    if not risk:
        return None
    return (pnl / risk).quantize(Decimal("0.01"))


def stake(avg_entry: Decimal | None, filled: Decimal, leverage: int) -> Decimal | None:
    """The money put in: the entry's cost over the leverage (a perp's margin)."""
    if avg_entry is None or filled <= 0:
        return None
    return avg_entry * filled / max(leverage, 1)


# -- periods ----------------------------------------------------------------------------------


def period_start(day: date, unit: Unit) -> date:
    """The first day of the period ``day`` falls in."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _step_back(start: date, unit: Unit) -> date:
    if unit == "day":
        return start - timedelta(days=1)
    if unit == "week":
        return start - timedelta(weeks=1)
    return (start - timedelta(days=1)).replace(day=1)


def period_starts(now: datetime, unit: Unit, count: int, zone: tzinfo) -> list[date]:
    """The ``count`` latest periods, the current one first, on the local calendar."""
    start = period_start(now.astimezone(zone).date(), unit)
    starts = [start]
    while len(starts) < count:
        starts.append(_step_back(starts[-1], unit))
    return starts


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The moment ``day`` begins in ``zone`` (aware)."""
    return datetime.combine(day, time(), tzinfo=zone)


def periods(
    trades: Iterable[ClosedTrade], starts: Sequence[date], unit: Unit, zone: tzinfo
) -> tuple[PeriodRow, ...]:
    """One row per period start (in the order given), its trades' P/L, count and wins;
    trades outside every period are left out."""
    sums: dict[date, list[Decimal]] = {start: [ZERO, ZERO, ZERO] for start in starts}
    for trade in trades:
        start = period_start(trade.closed_at.astimezone(zone).date(), unit)
        row = sums.get(start)
        if row is None:
            continue
        row[0] += trade.pnl
        row[1] += 1
        row[2] += 1 if trade.pnl > 0 else 0
    return tuple(
        PeriodRow(start=s, pnl=sums[s][0], trades=int(sums[s][1]), wins=int(sums[s][2]))
        for s in starts
    )


# -- performance ------------------------------------------------------------------------------


def performance(
    trades: Iterable[ClosedTrade], key: Callable[[ClosedTrade], str]
) -> tuple[PerformanceRow, ...]:
    """Trades grouped by ``key`` (a pair, a source), best P/L first (ties by name)."""
    groups: dict[str, list[ClosedTrade]] = defaultdict(list)
    for trade in trades:
        groups[key(trade)].append(trade)
    rows = []
    for name, group in groups.items():
        rs = [t.r for t in group if t.r is not None]
        rows.append(
            PerformanceRow(
                key=name,
                trades=len(group),
                wins=sum(1 for t in group if t.pnl > 0),
                pnl=sum((t.pnl for t in group), ZERO),
                avg_r=sum(rs, ZERO) / len(rs) if rs else None,
            )
        )
    return tuple(sorted(rows, key=lambda r: (-r.pnl, r.key)))
