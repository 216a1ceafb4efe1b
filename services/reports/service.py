"""``ReportService``: a trader's own figures over their trade plans, freqtrade's reports.

``/status`` (working plans at the current price), ``/profit`` (realised and unrealised P/L,
win rate, expectancy, best and worst), ``/daily`` ``/weekly`` ``/monthly`` (P/L per local
period), ``/performance`` (per pair, per source) and ``/trades`` (the latest trades), each per
book: paper apart from live, one quote currency per book. Figures come from the stored plans
(``store.ReportQueries``, arithmetic in ``aggregate``); the exchange is asked only for the
current prices of working plans, through each plan's own account as the plan service does, and
a price it cannot give leaves that plan unpriced rather than failing the report. It also keeps
the time zone reports are read in (``/settings tz``). Every method reads only the caller's own
plans and changes nothing but that setting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, tzinfo
from decimal import Decimal
from typing import Final, TypeVar

import structlog

from core.clock import Clock, utc_now
from core.db.session import Database
from core.errors import ExchangeError, UserError
from services.dto import UserView
from services.exchange.factory import ExchangeFactory
from services.reports import aggregate
from services.reports.dto import (
    Book,
    BookPerformance,
    BookProfit,
    ClosedTrade,
    OpenPlan,
    OpenTrade,
    PerformanceReport,
    PeriodReport,
    ProfitReport,
    StatusReport,
    TradesReport,
    Unit,
    UserSettingsView,
)
from services.reports.store import ReportQueries
from services.reports.timezone import DEFAULT_ZONE, parse_zone, zone_of
from services.trading.accounts import TradingAccounts

log = structlog.get_logger(__name__)

# (default, most) periods per report; freqtrade's defaults
PERIODS: Final[dict[Unit, tuple[int, int]]] = {"day": (7, 92), "week": (8, 104), "month": (6, 60)}
TRADES: Final = (10, 50)
MAX_DAYS: Final = 3650
NO_SOURCE: Final = "by hand"
T = TypeVar("T", ClosedTrade, OpenTrade)


def parse_count(text: str | None, *, default: int, most: int, what: str) -> int:
    """The whole number a report command was given (``default`` when none); ``UserError``
    for anything but 1 to ``most``."""
    typed = (text or "").strip()
    if not typed:
        return default
    if not (typed.isascii() and typed.isdigit()) or not 1 <= int(typed) <= most:
        raise UserError(f"Give a number of {what} from 1 to {most}, e.g. {default}.")
    return int(typed)


class ReportService:
    def __init__(self, db: Database, factory: ExchangeFactory, *, clock: Clock = utc_now) -> None:
        self._db = db
        self._accounts = TradingAccounts(db, factory, factory.paper)
        self._clock = clock

    # -- settings ---------------------------------------------------------------------------------

    async def settings(self, user: UserView) -> UserSettingsView:
        name, zone = await self._zone(user)
        return UserSettingsView(zone=name, now=self._clock().astimezone(zone))

    async def set_zone(self, user: UserView, text: str) -> UserSettingsView:
        """Store the time zone ``text`` names; ``UserError`` (nothing stored) when it names
        none."""
        name = parse_zone(text)
        async with self._db.transaction() as session:
            await ReportQueries(session).set_zone_name(user.id, name)
        log.info("time_zone_set", zone=name)
        return UserSettingsView(zone=name, now=self._clock().astimezone(zone_of(name)))

    async def _zone(self, user: UserView) -> tuple[str, tzinfo]:
        async with self._db.session() as session:
            name = await ReportQueries(session).zone_name(user.id) or DEFAULT_ZONE
        return name, zone_of(name)

    # -- reports ----------------------------------------------------------------------------------

    async def status(self, user: UserView) -> StatusReport:
        """The working plans, priced now, per book."""
        name, zone = await self._zone(user)
        trades = await self._open_trades(user, zone)
        return StatusReport(zone=name, books=_tupled(aggregate.by_book(trades)))

    async def profit(self, user: UserView, days: int | None = None) -> ProfitReport:
        """Realised figures of the trades closed in the last ``days`` days (all when None),
        and the unrealised P/L of what is held now, per book."""
        name, zone = await self._zone(user)
        since = None if days is None else self._clock() - timedelta(days=days)
        async with self._db.session() as session:
            trades = await ReportQueries(session).trades(user.id, since)
        open_trades = await self._open_trades(user, zone)
        closed = dict(aggregate.by_book(_local(trades, zone)))
        held = dict(aggregate.by_book(open_trades))
        books = []
        for book in sorted(set(closed) | set(held)):
            priced = [t.unrealized for t in held.get(book, []) if t.unrealized is not None]
            books.append(
                BookProfit(
                    book=book,
                    figures=aggregate.figures(closed.get(book, [])),
                    open_trades=len(held.get(book, [])),
                    unrealized=sum(priced, Decimal(0)),
                    unpriced=sum(
                        1 for t in held.get(book, []) if t.held > 0 and t.unrealized is None
                    ),
                )
            )
        local_since = None if since is None else since.astimezone(zone)
        return ProfitReport(zone=name, since=local_since, books=tuple(books))

    async def periods(self, user: UserView, unit: Unit, count: int) -> PeriodReport:
        """P/L, trades and wins per local day, week or month, the ``count`` latest, per book
        (a book shows every period, those without trades at zero)."""
        name, zone = await self._zone(user)
        starts = aggregate.period_starts(self._clock(), unit, count, zone)
        since = aggregate.local_midnight(starts[-1], zone)
        async with self._db.session() as session:
            trades = await ReportQueries(session).trades(user.id, since)
        books = tuple(
            (book, aggregate.periods(group, starts, unit, zone))
            for book, group in aggregate.by_book(trades)
        )
        return PeriodReport(zone=name, unit=unit, books=books)

    async def performance(self, user: UserView) -> PerformanceReport:
        """Every trade's P/L summed per pair and per source, best first, per book."""
        async with self._db.session() as session:
            trades = await ReportQueries(session).trades(user.id)
        return PerformanceReport(
            books=tuple(
                BookPerformance(
                    book=book,
                    pairs=aggregate.performance(group, lambda t: t.symbol),
                    sources=aggregate.performance(group, lambda t: t.source or NO_SOURCE),
                )
                for book, group in aggregate.by_book(trades)
            )
        )

    async def trades(self, user: UserView, count: int) -> TradesReport:
        """The ``count`` latest trades, newest first, per book."""
        name, zone = await self._zone(user)
        async with self._db.session() as session:
            trades = await ReportQueries(session).trades(user.id, limit=count)
        return TradesReport(zone=name, books=_tupled(aggregate.by_book(_local(trades, zone))))

    # -- prices -----------------------------------------------------------------------------------

    async def _open_trades(self, user: UserView, zone: tzinfo) -> list[OpenTrade]:
        async with self._db.session() as session:
            plans = await ReportQueries(session).working(user.id)
        prices: dict[tuple[int, str], Decimal | None] = {}
        trades = []
        for plan in plans:
            key = (plan.account.id, plan.symbol)
            if key not in prices:
                prices[key] = await self._price(plan)
            opened = plan.opened_at.astimezone(zone)
            trades.append(aggregate.open_trade(plan, prices[key], opened))
        return trades

    async def _price(self, plan: OpenPlan) -> Decimal | None:
        """The last price on the plan's account, or None when its exchange cannot say."""
        try:
            client = await self._accounts.client(plan.account, plan.symbol)
            return (await client.ticker(plan.symbol)).last
        except (ExchangeError, UserError) as exc:
            log.warning(
                "report_price_unavailable",
                plan_id=plan.plan_id,
                symbol=plan.symbol,
                error=type(exc).__name__,
            )
            return None


def _local(trades: list[ClosedTrade], zone: tzinfo) -> list[ClosedTrade]:
    return [
        replace(t, opened_at=t.opened_at.astimezone(zone), closed_at=t.closed_at.astimezone(zone))
        for t in trades
    ]


def _tupled(groups: list[tuple[Book, list[T]]]) -> tuple[tuple[Book, tuple[T, ...]], ...]:
    return tuple((book, tuple(items)) for book, items in groups)
