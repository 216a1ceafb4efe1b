"""The JSON shapes of the caller's trading: plans, orders, positions, balances (decimal
figures as strings, see ``api.schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import Dec, DecIn, dec, req_dec
from services.exchange.base import Position
from services.trade_plans.dto import PlanView
from services.trading_dto import AccountView, BalanceView, OrderView

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
