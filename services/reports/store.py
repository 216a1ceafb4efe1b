"""The report queries: a user's trades and working plans, read once per report.

``ReportQueries`` selects only the user's own plans (``user_id`` in every statement) with their
account (paper or live, its label) and source, and turns each row into the report's data while
the session is open; ORM rows never leave this module. A trade is a plan closed or liquidated
after holding a position (a plan that never filled is not one); times come back aware in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import ExchangeAccount, Source, TradePlan, User
from core.domain import PlanStatus
from services.reports import aggregate
from services.reports.dto import Book, ClosedTrade, OpenPlan
from services.reports.timezone import SETTING_KEY
from services.trading.views import account_view

TRADE_STATUSES: Final = (PlanStatus.CLOSED, PlanStatus.LIQUIDATED)
WORKING: Final = (PlanStatus.PENDING, PlanStatus.OPEN, PlanStatus.ACTIVE)
MAX_TRADES: Final = 20_000  # a report reads at most this many trades (the newest)
MAX_OPEN: Final = 50


def quote_of(symbol: str) -> str:
    """``BTC/USDT:USDT`` -> ``USDT`` (as the plan service reads a plan's quote)."""
    return symbol.split("/")[1].split(":", maxsplit=1)[0] if "/" in symbol else "USDT"


def source_name(source: Source | None) -> str | None:
    if source is None:
        return None
    if source.username:
        return "@" + source.username
    return source.title or str(source.chat_id)


def _aware(at: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive ones)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _step(plan: TradePlan, name: str) -> Decimal | None:
    value = ((plan.settings or {}).get("_market") or {}).get(name)
    return None if value is None else Decimal(str(value))


def _joined(user_id: int) -> Select[TradePlan, ExchangeAccount, Source]:
    return (
        select(TradePlan, ExchangeAccount, Source)
        .join(ExchangeAccount, ExchangeAccount.id == TradePlan.account_id)
        .outerjoin(Source, Source.id == TradePlan.source_id)
        .where(TradePlan.user_id == user_id)
    )


class ReportQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def zone_name(self, user_id: int) -> str | None:
        user = await self._session.get(User, user_id)
        value = None if user is None else (user.settings or {}).get(SETTING_KEY)
        return value if isinstance(value, str) else None

    async def set_zone_name(self, user_id: int, name: str) -> None:
        user = await self._session.get(User, user_id)
        if user is not None:
            user.settings = {**(user.settings or {}), SETTING_KEY: name}

    async def trades(
        self, user_id: int, since: datetime | None = None, limit: int = MAX_TRADES
    ) -> list[ClosedTrade]:
        """The user's trades closed at or after ``since``, newest first."""
        stmt = _joined(user_id).where(TradePlan.status.in_(TRADE_STATUSES))
        if since is not None:
            stmt = stmt.where(TradePlan.closed_at >= since)
        stmt = stmt.order_by(TradePlan.closed_at.desc(), TradePlan.id.desc()).limit(limit)
        rows = (await self._session.execute(stmt)).all()
        # Money is text on SQLite, so "filled at all" is checked here rather than in SQL.
        return [_trade(p, a, s) for p, a, s in rows if p.filled_qty > 0]

    async def working(self, user_id: int) -> list[OpenPlan]:
        """The user's working plans (entries out or a position held), oldest first."""
        stmt = (
            _joined(user_id)
            .where(TradePlan.status.in_(WORKING))
            .order_by(TradePlan.id)
            .limit(MAX_OPEN)
        )
        return [_open(p, a, s) for p, a, s in (await self._session.execute(stmt)).all()]


def _trade(plan: TradePlan, account: ExchangeAccount, source: Source | None) -> ClosedTrade:
    return ClosedTrade(
        plan_id=plan.id,
        book=Book(live=not account.is_paper, quote=quote_of(plan.symbol)),
        symbol=plan.symbol,
        side=plan.side,
        market_type=plan.market_type,
        leverage=plan.leverage,
        status=plan.status,
        source=source_name(source),
        account=account.label,
        pnl=plan.realized_pnl,
        fees=plan.fees,
        stake=aggregate.stake(plan.avg_entry, plan.filled_qty, plan.leverage),
        r=plan.realized_r,
        avg_entry=plan.avg_entry,
        opened_at=_aware(plan.created_at),
        closed_at=_aware(plan.closed_at or plan.updated_at),
        reason=plan.close_reason,
        price_step=_step(plan, "price_step"),
    )


def _open(plan: TradePlan, account: ExchangeAccount, source: Source | None) -> OpenPlan:
    return OpenPlan(
        plan_id=plan.id,
        book=Book(live=not account.is_paper, quote=quote_of(plan.symbol)),
        account=account_view(account),
        symbol=plan.symbol,
        side=plan.side,
        market_type=plan.market_type,
        leverage=plan.leverage,
        status=plan.status,
        source=source_name(source),
        entry_low=plan.entry_low,
        entry_high=plan.entry_high,
        avg_entry=plan.avg_entry,
        filled=plan.filled_qty,
        held=plan.filled_qty - plan.closed_qty,
        realized=plan.realized_pnl,
        initial_stop=plan.initial_stop,
        stop=plan.stop_price,
        targets=tuple(Decimal(str(t)) for t in plan.targets or []),
        targets_hit=plan.targets_hit,
        opened_at=_aware(plan.created_at),
        price_step=_step(plan, "price_step"),
        amount_step=_step(plan, "amount_step"),
    )
