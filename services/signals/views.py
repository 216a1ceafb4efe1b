"""Signal and event rows as the views the service returns, and the card diff between two views.

ORM objects never leave the service: everything returned is built here. ``card_diff`` compares
the fields a card shows, as a person reads them ("60000 61000 -> 60500"), so an edit event
records exactly what a follower would see change.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from core.db.models import Signal, SignalEvent, Source
from services.signal_dto import EventView, FieldOrigin, SignalView, StopMove
from services.sources import to_source_view


def to_signal_view(signal: Signal, source: Source | None) -> SignalView:
    """The view of a signal row (``source`` gives its name; None for private signals)."""
    meta = signal.fields_meta or {}
    origins = {k: FieldOrigin(v) for k, v in meta.get("origins", {}).items()}
    return SignalView(
        id=signal.id,
        source_id=signal.source_id,
        source_name=to_source_view(source).name if source is not None else None,
        is_tracked=signal.is_tracked,
        kind=signal.kind,
        base=signal.base,
        quote=signal.quote,
        side=signal.side,
        market=signal.market,
        entry_low=signal.entry_low,
        entry_high=signal.entry_high,
        entry_is_market=signal.entry_is_market,
        targets=tuple(Decimal(str(t)) for t in signal.targets or ()),
        stop_loss=signal.stop_loss,
        leverage=signal.leverage,
        confidence=signal.confidence,
        parser=signal.parser,
        status=signal.status,
        targets_hit=signal.targets_hit,
        edit_count=signal.edit_count,
        first_seen_at=signal.first_seen_at,
        origins=origins,
        targets_dropped=int(meta.get("targets_dropped", 0)),
        stop_moved=StopMove(meta["stop_moved"]) if meta.get("stop_moved") else None,
        inferred=frozenset(meta.get("inferred", ())),
    )


def to_event_view(event: SignalEvent) -> EventView:
    """The view of an event row (an update, a channel edit or a hand edit)."""
    return EventView(
        id=event.id,
        signal_id=event.signal_id,
        kind=event.kind,
        target_index=event.target_index,
        linked_by=event.linked_by,
        created_at=event.created_at,
        details=dict(event.details or {}),
    )


def _format(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value) or "-"
    return str(value.value if isinstance(value, Enum) else value)


def _card_fields(view: SignalView) -> dict[str, str]:
    entry = (
        "market"
        if view.entry_is_market
        else _format([x for x in (view.entry_low, view.entry_high) if x is not None])
    )
    if view.entry_low is not None and view.entry_low == view.entry_high:
        entry = _format(view.entry_low)
    return {
        "pair": _format(view.pair),
        "side": _format(view.side),
        "market": _format(view.market),
        "entry": entry,
        "targets": _format(view.targets),
        "stop_loss": _format(view.stop_loss),
        "leverage": _format(view.leverage),
    }


def card_diff(before: SignalView, after: SignalView) -> dict[str, str]:
    """The card fields that differ, as ``{"field": "old -> new"}``."""
    old, new = _card_fields(before), _card_fields(after)
    return {k: f"{old[k]} -> {new[k]}" for k in old if old[k] != new[k]}
