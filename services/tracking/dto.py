"""What the tracker hands to handlers and stores: an outcome as a view and as row values.

``OutcomeView`` is the same whether it comes from a fresh computation or from a stored row,
so ``/signal`` and the follower notes read one shape. Stored events are dicts with ``key``,
``kind``, ``at`` (ISO 8601 UTC), ``price`` (decimal text or None) and ``target``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.db.models import Signal, SignalOutcome
from services.tracking.model import Outcome, Result, TrackEvent

__all__ = ["OutcomeView", "outcome_values", "to_outcome_view", "view_of_row"]


@dataclass(frozen=True, slots=True)
class OutcomeView:
    kind: str  # price | followed
    result: Result
    symbol: str | None
    timeframe: str | None
    filled_at: datetime | None
    fill_price: Decimal | None
    targets_hit: int
    stop_hit: bool
    closed_at: datetime | None
    r: Decimal | None
    events: tuple[TrackEvent, ...]
    checked_to: datetime | None


def to_outcome_view(
    kind: str, outcome: Outcome, symbol: str | None, timeframe: str | None
) -> OutcomeView:
    return OutcomeView(
        kind=kind,
        result=outcome.result,
        symbol=symbol,
        timeframe=timeframe,
        filled_at=outcome.filled_at,
        fill_price=outcome.fill_price,
        targets_hit=outcome.targets_hit,
        stop_hit=outcome.stop_hit,
        closed_at=outcome.closed_at,
        r=outcome.r,
        events=outcome.events,
        checked_to=outcome.checked_to,
    )


def _event_dict(event: TrackEvent) -> dict[str, Any]:
    return {
        "key": event.key(),
        "kind": event.kind,
        "at": event.at.isoformat(),
        "price": str(event.price) if event.price is not None else None,
        "target": event.target,
    }


def _event_of(stored: dict[str, Any]) -> TrackEvent:
    price = stored.get("price")
    return TrackEvent(
        kind=str(stored["kind"]),
        at=datetime.fromisoformat(str(stored["at"])),
        price=Decimal(price) if price is not None else None,
        target=stored.get("target"),
    )


def outcome_values(
    signal: Signal, kind: str, outcome: Outcome, symbol: str | None, timeframe: str | None
) -> dict[str, Any]:
    """The ``signal_outcomes`` row of one outcome."""
    return {
        "signal_id": signal.id,
        "source_id": signal.source_id,
        "kind": kind,
        "posted_at": signal.posted_at or signal.first_seen_at,
        "symbol": symbol,
        "timeframe": timeframe,
        "result": outcome.result.value,
        "filled_at": outcome.filled_at,
        "fill_price": outcome.fill_price,
        "targets_hit": outcome.targets_hit,
        "stop_hit": outcome.stop_hit,
        "closed_at": outcome.closed_at,
        "r": outcome.r,
        "tp1_at": outcome.tp1_at(),
        "events": [_event_dict(e) for e in outcome.events],
        "checked_to": outcome.checked_to,
    }


def view_of_row(row: SignalOutcome) -> OutcomeView:
    return OutcomeView(
        kind=row.kind,
        result=Result(row.result),
        symbol=row.symbol,
        timeframe=row.timeframe,
        filled_at=row.filled_at,
        fill_price=row.fill_price,
        targets_hit=row.targets_hit,
        stop_hit=row.stop_hit,
        closed_at=row.closed_at,
        r=row.r,
        events=tuple(_event_of(e) for e in row.events or []),
        checked_to=row.checked_to,
    )
