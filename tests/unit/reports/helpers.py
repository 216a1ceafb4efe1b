"""Builders for the report table tests: a closed trade or a working plan from a few figures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.domain import MarketType, PlanStatus, Side
from services.reports.dto import Book, ClosedTrade, OpenPlan
from services.trading_dto import AccountView

D = Decimal
PAPER = Book(live=False, quote="USDT")
LIVE = Book(live=True, quote="USDT")
OPENED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def trade(  # noqa: PLR0913 - a table row names the figures it cares about
    plan_id: int,
    pnl: str,
    *,
    closed: datetime = datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
    r: str | None = None,
    book: Book = PAPER,
    symbol: str = "BTC/USDT",
    source: str | None = "@alpha",
    fees: str = "0",
) -> ClosedTrade:
    return ClosedTrade(
        plan_id=plan_id,
        book=book,
        symbol=symbol,
        side=Side.LONG,
        market_type=MarketType.SPOT,
        leverage=1,
        status=PlanStatus.CLOSED,
        source=source,
        account="paper" if not book.live else "main",
        pnl=D(pnl),
        fees=D(fees),
        stake=D(1000),
        r=None if r is None else D(r),
        avg_entry=D(60000),
        opened_at=OPENED,
        closed_at=closed,
        reason="tp",
    )


def working(  # noqa: PLR0913 - as above
    *,
    side: Side = Side.LONG,
    avg_entry: str | None = "100",
    filled: str = "2",
    closed: str = "0",
    realized: str = "0",
    stop: str | None = "90",
    targets: tuple[str, ...] = ("110", "120"),
    targets_hit: int = 0,
    leverage: int = 1,
    book: Book = PAPER,
) -> OpenPlan:
    account = AccountView(
        id=1,
        label="paper",
        exchange_id="paper",
        is_paper=not book.live,
        sandbox=False,
        key_hint=None,
        market_type=MarketType.SPOT,
    )
    return OpenPlan(
        plan_id=7,
        book=book,
        account=account,
        symbol="BTC/USDT",
        side=side,
        market_type=MarketType.SPOT,
        leverage=leverage,
        status=PlanStatus.ACTIVE if D(filled) > 0 else PlanStatus.OPEN,
        source="@alpha",
        entry_low=D(95),
        entry_high=D(100),
        avg_entry=None if avg_entry is None else D(avg_entry),
        filled=D(filled),
        held=D(filled) - D(closed),
        realized=D(realized),
        initial_stop=None if stop is None else D(stop),
        stop=None if stop is None else D(stop),
        targets=tuple(D(t) for t in targets),
        targets_hit=targets_hit,
        opened_at=OPENED,
        price_step=D("0.01"),
        amount_step=D("0.001"),
    )
