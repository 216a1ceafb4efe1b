"""The JSON shapes of the reads: sources with their scores, signals with their outcomes
(decimal figures as strings, see ``api.schemas``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas import Dec, dec, req_dec
from services.catalog import SignalRow
from services.signal_dto import EventView, SignalDetail, SourceView
from services.tracking.dto import OutcomeView
from services.tracking.scores import SourceScore

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
