"""What a linked update post does to its signal: the status, the targets hit, the stop.

Only an active signal changes. The rules, each one said in the event's details so the card,
``/signal`` and the followers' note say what was done:

- a take-profit report counts the target it names; an index past the signal's last target
  ("TP3 hit" on two targets) counts as the last one, all targets hit, and says so (the
  channel may list more targets than were read); "all targets achieved" closes the signal
  with every target hit;
- a stop move never closes anything: the new stop is the price the parser read in the post
  (``ParseResult.stop_loss``); "to entry" / "breakeven" moves it to the entry's fill
  reference, the entry price or the middle of the entry zone (the same reference a
  follower's plan sizes from), and a market entry has no price to move to, which is said;
- a stop hit, a close and a cancel end the signal with that status.

``StopMove`` records on the signal how its current stop came to be, for the card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Final

from core.db.models import Signal
from core.domain import SignalStatus, UpdateType
from services.signal_dto import StopMove
from services.signal_parser import ParseResult
from services.trade_plans.channel import channel_event

# Update kinds that end a signal, with the status they end it in.
STATUS_OF_UPDATE: Final = {
    UpdateType.SL_HIT: SignalStatus.STOPPED,
    UpdateType.CLOSE: SignalStatus.CLOSED,
    UpdateType.CANCEL: SignalStatus.CANCELLED,
}
TWO: Final = Decimal(2)


@dataclass(frozen=True, slots=True)
class Reading:
    """What an update post was read as: all its effect needs, kept on an unplaced update's
    event (``details``) so linking it later applies what its owner was shown."""

    kind: UpdateType
    target_index: int | None = None
    stop_loss: Decimal | None = None
    all_targets: bool = False
    also: tuple[UpdateType, ...] = ()  # the post's other events ("TP1 hit, SL to entry")

    @classmethod
    def of(cls, result: ParseResult) -> Reading:
        update = result.update
        return cls(
            kind=update.type if update is not None else UpdateType.OTHER,
            target_index=update.target_index if update is not None else None,
            stop_loss=result.stop_loss,
            all_targets=update is not None and update.all_targets,
            also=update.also if update is not None else (),
        )

    def other(self, kind: UpdateType) -> Reading:
        """The reading of one of the post's other events (the same stop price, if any)."""
        return Reading(kind=kind, stop_loss=self.stop_loss)

    def details(self) -> dict[str, object]:
        stop = str(self.stop_loss) if self.stop_loss is not None else None
        also = [kind.value for kind in self.also]
        return {"read_stop": stop, "read_all_targets": self.all_targets, "read_also": also}

    @classmethod
    def from_details(
        cls, kind: str, target_index: int | None, details: dict[str, object]
    ) -> Reading:
        stop = details.get("read_stop")
        return cls(
            kind=UpdateType(kind),
            target_index=target_index,
            stop_loss=Decimal(stop) if isinstance(stop, str) else None,
            all_targets=bool(details.get("read_all_targets")),
            also=tuple(UpdateType(str(k)) for k in _listed(details.get("read_also"))),
        )


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class Effect:
    """What an update did: whether the signal changed, what to add to the event's details,
    the target index to record, and the stop price followers' plans take (None: the plans
    read the post themselves, e.g. "to entry" is each plan's own fill)."""

    changed: bool = False
    details: dict[str, object] = field(default_factory=dict)
    target_index: int | None = None
    stop: Decimal | None = None


def apply_update(signal: Signal, reading: Reading, text: str, now: datetime) -> Effect:
    """Apply one linked update to ``signal`` (locked by the caller). Returns its ``Effect``."""
    kind, index = reading.kind, reading.target_index
    if signal.status is not SignalStatus.ACTIVE:
        return Effect(target_index=index)
    if kind is UpdateType.TP_HIT:
        return _take_profit(signal, index, all_targets=reading.all_targets, now=now)
    if kind is UpdateType.MOVE_SL:
        return _move_stop(signal, reading.stop_loss, text)
    new_status = STATUS_OF_UPDATE.get(kind)
    if new_status is None:
        return Effect(target_index=index)
    _end(signal, new_status, now)
    return Effect(changed=True, target_index=index)


def _end(signal: Signal, status: SignalStatus, now: datetime) -> None:
    signal.status = status
    signal.closed_at = now


def _take_profit(signal: Signal, index: int | None, *, all_targets: bool, now: datetime) -> Effect:
    count = len(signal.targets or ())
    details: dict[str, object] = {}
    if all_targets:
        hit = count or max(signal.targets_hit, 1)
        details["all_targets"] = True
    elif index is None:
        hit = signal.targets_hit + 1
    else:
        hit = index
    if count and hit > count:  # "TP3 hit" on two targets: the last one, and all of them
        details.update(reported_index=hit, all_targets=True)
        hit = count
    changed = hit > signal.targets_hit
    if changed:
        signal.targets_hit = hit
    if all_targets:  # the channel says the trade is done
        _end(signal, SignalStatus.CLOSED, now)
        changed = True
    return Effect(changed=changed, details=details, target_index=hit)


def _move_stop(signal: Signal, stop: Decimal | None, text: str) -> Effect:
    """The new stop: the post's price, or the entry's fill reference for "to entry"."""
    plan_event = channel_event(UpdateType.MOVE_SL, text)
    to_entry = plan_event is not None and plan_event.to_entry
    if to_entry:
        price, how = _entry_reference(signal)
        plan_stop = None  # each plan moves to its own average fill
    else:
        price, how = stop, StopMove.PRICE
        plan_stop = price
    details: dict[str, object] = {"to_entry": to_entry}
    if price is None or price <= 0:
        details["not_applied"] = (
            "the entry was at market, so there is no entry price to move the stop to"
            if to_entry
            else "the post gives no new stop price"
        )
        return Effect(details=details, stop=plan_stop)
    old = signal.stop_loss
    signal.stop_loss = price
    signal.fields_meta = {**(signal.fields_meta or {}), "stop_moved": how.value}
    details["changes"] = {"stop_loss": f"{old if old is not None else '-'} -> {price}"}
    details["stop_moved"] = how.value
    return Effect(changed=old != price, details=details, stop=plan_stop)


def _entry_reference(signal: Signal) -> tuple[Decimal | None, StopMove]:
    """The entry's fill reference: the one entry price, or the middle of the zone."""
    low, high = signal.entry_low, signal.entry_high
    if signal.entry_is_market or low is None:
        return None, StopMove.ENTRY
    if high is None or high == low:
        return low, StopMove.ENTRY
    return (low + high) / TWO, StopMove.ZONE_MIDDLE
