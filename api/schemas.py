"""The API's JSON shapes and how service views become them.

Numbers that are money, prices, amounts, rates or R are JSON *strings* holding a decimal
(``"0.5"``), never floats: the bot keeps them as ``Decimal`` end to end and so do clients that
parse them. ``Dec`` marks them in the OpenAPI document. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.api_auth import Principal, TokenPair
from services.catalog import SignalRow, SystemStats
from services.dto import AuditView, UserView
from services.exchange.base import Position
from services.signal_dto import EventView, SignalDetail, SourceView
from services.tracking.dto import OutcomeView
from services.tracking.scores import SourceScore
from services.trade_plans.dto import PlanView
from services.trading_dto import AccountView, BalanceView, OrderView

Dec = Annotated[
    str,
    Field(
        description="A decimal number as a string (exact; never a float)",
        examples=["0.25"],
        pattern=r"^-?\d+(\.\d+)?$",
    ),
]
DecIn = Annotated[
    str,
    Field(
        description="A positive decimal number as a string",
        examples=["0.01"],
        pattern=r"^\d{1,20}(\.\d{1,18})?$",
        max_length=40,
    ),
]


def dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def req_dec(value: Decimal) -> str:
    return format(value, "f")


# -- auth ------------------------------------------------------------------------------------


class KeyIn(BaseModel):
    api_key: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class RevokeIn(BaseModel):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=256)


class WebAppIn(BaseModel):
    init_data: str = Field(min_length=1, max_length=4096)


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int = Field(description="seconds the access token lives")

    @classmethod
    def of(cls, pair: TokenPair) -> TokenOut:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


class RevokedOut(BaseModel):
    revoked: bool


# -- me, users -------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    role: str
    is_banned: bool

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        return cls(
            id=user.id,
            telegram_id=user.telegram_id,
            username=user.username,
            first_name=user.first_name,
            role=user.role.value,
            is_banned=user.is_banned,
        )


class MeOut(UserOut):
    scope: str = Field(description="read | trade | webapp")
    live: bool = Field(description="live orders go out without a Telegram Confirm")

    @classmethod
    def of_principal(cls, principal: Principal) -> MeOut:
        base = UserOut.of(principal.user).model_dump()
        return cls(**base, scope=principal.scope.value, live=principal.live)


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class RoleIn(BaseModel):
    role: Literal["admin", "trader", "viewer", "api_user"]


class BanIn(BaseModel):
    banned: bool = True


class AuditOut(BaseModel):
    created_at: datetime
    action: str
    target: str | None
    actor: str | None

    @classmethod
    def of(cls, entry: AuditView) -> AuditOut:
        return cls(
            created_at=entry.created_at,
            action=entry.action,
            target=entry.target,
            actor=entry.actor,
        )


class AuditPage(BaseModel):
    items: list[AuditOut]


class StatsOut(BaseModel):
    users: int
    users_by_role: dict[str, int]
    banned: int
    active_today: int
    sources: int
    signals: int
    signals_today: int
    plans_open: int
    orders_today: int
    outbox_pending: int
    inbox_pending: int

    @classmethod
    def of(cls, stats: SystemStats) -> StatsOut:
        return cls(**{name: getattr(stats, name) for name in cls.model_fields})


# -- sources ---------------------------------------------------------------------------------


class WindowOut(BaseModel):
    days: int | None = Field(description="the window in days; null: all time")
    signals: int
    filled: int
    trades: int
    wins: int
    win_rate: Dec | None
    fill_rate: Dec | None
    avg_r: Dec | None
    expectancy: Dec | None
    profit_factor: Dec | None
    max_drawdown: Dec
    total_r: Dec

    @classmethod
    def of(cls, s: SourceScore) -> WindowOut:
        return cls(
            days=s.days,
            signals=s.signals,
            filled=s.filled,
            trades=s.trades,
            wins=s.wins,
            win_rate=dec(s.win_rate),
            fill_rate=dec(s.fill_rate),
            avg_r=dec(s.avg_r),
            expectancy=dec(s.expectancy),
            profit_factor=dec(s.profit_factor),
            max_drawdown=req_dec(s.max_drawdown),
            total_r=req_dec(s.total_r),
        )


class SourceOut(BaseModel):
    id: int
    name: str
    title: str | None
    username: str | None
    approved: bool
    is_active: bool
    signals: int = Field(description="signals tracked in the score's window")
    trades: int
    win_rate: Dec | None
    avg_r: Dec | None
    expectancy: Dec | None
    total_r: Dec

    @classmethod
    def of(cls, source: SourceView, s: SourceScore) -> SourceOut:
        return cls(
            id=source.id,
            name=source.name,
            title=source.title,
            username=source.username,
            approved=source.approved,
            is_active=source.is_active,
            signals=s.signals,
            trades=s.trades,
            win_rate=dec(s.win_rate),
            avg_r=dec(s.avg_r),
            expectancy=dec(s.expectancy),
            total_r=req_dec(s.total_r),
        )


class SourceDetailOut(SourceOut):
    windows: list[WindowOut] = Field(description="30 days, 90 days, all time")


class SourcePage(BaseModel):
    items: list[SourceOut]
    next_cursor: str | None


class TopOut(SourcePage):
    min_signals: int = Field(description="signals a source needs to be ranked")


# -- signals ---------------------------------------------------------------------------------


class OutcomeOut(BaseModel):
    kind: str
    result: str
    filled_at: datetime | None
    fill_price: Dec | None
    targets_hit: int
    stop_hit: bool
    closed_at: datetime | None
    r: Dec | None

    @classmethod
    def of(cls, o: OutcomeView) -> OutcomeOut:
        return cls(
            kind=o.kind,
            result=o.result.value,
            filled_at=o.filled_at,
            fill_price=dec(o.fill_price),
            targets_hit=o.targets_hit,
            stop_hit=o.stop_hit,
            closed_at=o.closed_at,
            r=dec(o.r),
        )


class SignalOut(BaseModel):
    id: int
    source_id: int | None
    source_name: str | None
    pair: str | None
    side: str | None
    market: str | None
    status: str
    posted_at: datetime
    entry_low: Dec | None
    entry_high: Dec | None
    targets: list[Dec]
    stop_loss: Dec | None
    leverage: Dec | None
    targets_hit: int
    outcome: OutcomeOut | None = Field(description="the price outcome, once tracked")

    @classmethod
    def of(cls, row: SignalRow) -> SignalOut:
        s = row.signal
        return cls(
            id=s.id,
            source_id=s.source_id,
            source_name=s.source_name,
            pair=s.pair,
            side=s.side.value if s.side else None,
            market=s.market.value if s.market else None,
            status=s.status.value,
            posted_at=row.posted_at,
            entry_low=dec(s.entry_low),
            entry_high=dec(s.entry_high),
            targets=[req_dec(t) for t in s.targets],
            stop_loss=dec(s.stop_loss),
            leverage=dec(s.leverage),
            targets_hit=s.targets_hit,
            outcome=OutcomeOut.of(row.outcome) if row.outcome else None,
        )


class SignalPage(BaseModel):
    items: list[SignalOut]
    next_cursor: str | None


class EventOut(BaseModel):
    id: int
    kind: str
    target_index: int | None
    created_at: datetime

    @classmethod
    def of(cls, e: EventView) -> EventOut:
        return cls(id=e.id, kind=e.kind, target_index=e.target_index, created_at=e.created_at)


class SignalDetailOut(SignalOut):
    events: list[EventOut]
    outcomes: list[OutcomeOut]

    @classmethod
    def of_detail(cls, detail: SignalDetail, posted_at: datetime) -> SignalDetailOut:
        price = next((o for o in detail.outcomes if o.kind == "price"), None)
        base = SignalOut.of(SignalRow(detail.signal, posted_at, price)).model_dump()
        return cls(
            **base,
            events=[EventOut.of(e) for e in detail.events],
            outcomes=[OutcomeOut.of(o) for o in detail.outcomes],
        )


# -- trading ---------------------------------------------------------------------------------


class PlanOut(BaseModel):
    id: int
    pair: str
    side: str
    status: str
    mode: str
    account: str
    source_name: str | None
    signal_id: int | None
    leverage: int
    quantity: Dec
    filled_qty: Dec
    held: Dec
    avg_entry: Dec | None
    stop_price: Dec | None
    targets: list[Dec]
    targets_hit: int
    realized_pnl: Dec
    realized_r: Dec | None
    quote: str
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, p: PlanView) -> PlanOut:
        return cls(
            id=p.id,
            pair=p.symbol,
            side=p.side.value,
            status=p.status.value,
            mode=p.mode,
            account=p.account_label,
            source_name=p.source_name,
            signal_id=p.signal_id,
            leverage=p.leverage,
            quantity=req_dec(p.quantity),
            filled_qty=req_dec(p.filled_qty),
            held=req_dec(p.held),
            avg_entry=dec(p.avg_entry),
            stop_price=dec(p.stop_price),
            targets=[req_dec(t) for t in p.targets],
            targets_hit=p.targets_hit,
            realized_pnl=req_dec(p.realized_pnl),
            realized_r=dec(p.realized_r),
            quote=p.quote,
            created_at=p.created_at,
            closed_at=p.closed_at,
        )


class PlanPage(BaseModel):
    items: list[PlanOut]


class PlanClosedOut(BaseModel):
    id: int
    status: str
    replayed: bool = Field(description="true: the reply to an earlier request with this key")


class OrderOut(BaseModel):
    id: int
    account: str
    is_paper: bool
    pair: str
    side: str
    type: str
    amount: Dec
    price: Dec | None
    filled: Dec
    average: Dec | None
    status: str
    fee: Dec
    created_at: datetime

    @classmethod
    def of(cls, o: OrderView) -> OrderOut:
        return cls(
            id=o.id,
            account=o.account_label,
            is_paper=o.is_paper,
            pair=o.symbol,
            side=o.side.value,
            type=o.type.value,
            amount=req_dec(o.amount),
            price=dec(o.price),
            filled=req_dec(o.filled),
            average=dec(o.average),
            status=o.status.value,
            fee=req_dec(o.fee),
            created_at=o.created_at,
        )


class OrderPage(BaseModel):
    items: list[OrderOut]


class OrderIn(BaseModel):
    pair: str = Field(min_length=1, max_length=32, examples=["BTC/USDT"])
    side: Literal["buy", "sell"]
    amount: DecIn
    amount_in_quote: bool = Field(
        default=False, description="true: amount is money in the quote currency, not coins"
    )
    price: DecIn | None = Field(default=None, description="a limit price; none: at market")
    account: str | None = Field(
        default=None, max_length=64, description="account label; none: the paper account"
    )


class OrderPlacedOut(BaseModel):
    status: Literal["placed", "awaiting_confirmation"]
    order: OrderOut | None
    message: str


class PositionOut(BaseModel):
    account: str
    is_paper: bool
    pair: str
    amount: Dec
    entry_price: Dec | None
    mark_price: Dec | None
    unrealized_pnl: Dec | None
    side: str | None
    leverage: int | None

    @classmethod
    def of(cls, account: AccountView, p: Position) -> PositionOut:
        return cls(
            account=account.label,
            is_paper=account.is_paper,
            pair=p.symbol,
            amount=req_dec(p.amount),
            entry_price=dec(p.entry_price),
            mark_price=dec(p.mark_price),
            unrealized_pnl=dec(p.unrealized_pnl),
            side=p.side.value if p.side else None,
            leverage=p.leverage,
        )


class PositionPage(BaseModel):
    items: list[PositionOut]


class BalanceOut(BaseModel):
    asset: str
    free: Dec
    used: Dec


class BalancesOut(BaseModel):
    account: str
    is_paper: bool
    items: list[BalanceOut]

    @classmethod
    def of(cls, view: BalanceView) -> BalancesOut:
        return cls(
            account=view.account.label,
            is_paper=view.account.is_paper,
            items=[
                BalanceOut(asset=a, free=req_dec(f), used=req_dec(u)) for a, f, u in view.assets
            ],
        )


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
