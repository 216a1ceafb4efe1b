"""What the report service hands to handlers: plain frozen data, Decimal money, local times.

Every figure belongs to a ``Book``: paper or live, in one quote currency, because sums of
simulated and real money, or of USDT and BTC, mean nothing. Times are aware and already in the
user's time zone (``zone`` names it); a renderer only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from core.domain import MarketType, PlanStatus, Side
from services.trading_dto import AccountView

Unit = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True, order=True)
class Book:
    """Paper or live money in one quote currency (paper sorts first)."""

    live: bool
    quote: str

    @property
    def label(self) -> str:
        return f"{'Live' if self.live else 'Paper'} · {self.quote}"


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """A plan that held a position and ended (closed or liquidated): one trade."""

    plan_id: int
    book: Book
    symbol: str
    side: Side
    market_type: MarketType
    leverage: int
    status: PlanStatus
    source: str | None
    account: str
    pnl: Decimal  # realised, in quote, fees included
    fees: Decimal
    stake: Decimal | None  # what was put in: entry cost over leverage; None if unknown
    r: Decimal | None  # realised R (None without a stop)
    avg_entry: Decimal | None
    opened_at: datetime
    closed_at: datetime
    reason: str | None
    price_step: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OpenPlan:
    """A working plan as stored, before it is priced (``aggregate.open_trade`` prices it)."""

    plan_id: int
    book: Book
    account: AccountView  # whose ticker prices it
    symbol: str
    side: Side
    market_type: MarketType
    leverage: int
    status: PlanStatus
    source: str | None
    entry_low: Decimal | None
    entry_high: Decimal | None
    avg_entry: Decimal | None
    filled: Decimal
    held: Decimal
    realized: Decimal
    initial_stop: Decimal | None
    stop: Decimal | None
    targets: tuple[Decimal, ...]
    targets_hit: int
    opened_at: datetime
    price_step: Decimal | None
    amount_step: Decimal | None


@dataclass(frozen=True, slots=True)
class OpenTrade:
    """A working plan with its figures at the current price (``price`` None: not priced)."""

    plan_id: int
    book: Book
    symbol: str
    side: Side
    market_type: MarketType
    leverage: int
    status: PlanStatus
    source: str | None
    account: str
    entry_low: Decimal | None
    entry_high: Decimal | None
    avg_entry: Decimal | None
    held: Decimal
    price: Decimal | None
    realized: Decimal
    unrealized: Decimal | None  # None when nothing is held or there is no price
    stake: Decimal | None
    r: Decimal | None  # (realised + unrealised) over the risk taken
    next_target: Decimal | None
    target_no: int | None  # the next target's number, from 1
    stop: Decimal | None
    opened_at: datetime
    price_step: Decimal | None = None
    amount_step: Decimal | None = None

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def pnl(self) -> Decimal | None:
        """Realised plus unrealised (None when not priced while something is held)."""
        if self.unrealized is None:
            return self.realized if self.held <= 0 else None
        return self.realized + self.unrealized


@dataclass(frozen=True, slots=True)
class Figures:
    """Trades of one book summed up: counts, P/L, win rate, expectancy, best and worst."""

    trades: int
    wins: int
    losses: int
    realized: Decimal
    fees: Decimal
    win_rate: Decimal | None  # wins / trades, 0..1
    expectancy: Decimal | None  # mean P/L per trade, quote
    expectancy_r: Decimal | None  # mean R over the trades that have one
    best: ClosedTrade | None
    worst: ClosedTrade | None


@dataclass(frozen=True, slots=True)
class BookProfit:
    book: Book
    figures: Figures
    open_trades: int
    unrealized: Decimal
    unpriced: int  # open positions whose price could not be read (not in ``unrealized``)


@dataclass(frozen=True, slots=True)
class ProfitReport:
    zone: str
    since: datetime | None  # local; None: every trade
    books: tuple[BookProfit, ...]


@dataclass(frozen=True, slots=True)
class StatusReport:
    zone: str
    books: tuple[tuple[Book, tuple[OpenTrade, ...]], ...]


@dataclass(frozen=True, slots=True)
class PeriodRow:
    start: date  # the local day, the Monday of the week, the first of the month
    pnl: Decimal
    trades: int
    wins: int


@dataclass(frozen=True, slots=True)
class PeriodReport:
    zone: str
    unit: Unit
    books: tuple[tuple[Book, tuple[PeriodRow, ...]], ...]  # rows newest first


@dataclass(frozen=True, slots=True)
class PerformanceRow:
    key: str  # a pair or a source
    trades: int
    wins: int
    pnl: Decimal
    avg_r: Decimal | None


@dataclass(frozen=True, slots=True)
class BookPerformance:
    book: Book
    pairs: tuple[PerformanceRow, ...]
    sources: tuple[PerformanceRow, ...]


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    books: tuple[BookPerformance, ...]


@dataclass(frozen=True, slots=True)
class TradesReport:
    zone: str
    books: tuple[tuple[Book, tuple[ClosedTrade, ...]], ...]  # newest first


@dataclass(frozen=True, slots=True)
class UserSettingsView:
    zone: str
    now: datetime  # local
