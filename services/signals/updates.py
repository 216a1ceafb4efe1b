"""Update posts ("TP1 hit", "closed", "SL moved"): stored once, linked to their signal, applied.

An update is an event row unique on (chat id, message id, kind, version). It is linked by reply
(to the entry, or to an update already linked) or else by pair when exactly one of the source's
open signals matches; never guessed. Only an active signal changes status, and followers hear of
an update in the same transaction that records it. Once recorded, a linked update is applied to
the working plans of its signal (move the stop, close, partial close, cancel).
"""

from __future__ import annotations

import structlog

from core.db.models import Signal
from core.db.repositories.signals import SignalEventRepository, SignalRepository
from core.db.repositories.sources import SourceRepository
from core.domain import SignalKind
from services.signal_dto import EventView, SourceView, Unplaced
from services.signal_parser import ParseResult
from services.signals import applying, placing
from services.signals.columns import sha256
from services.signals.context import SignalContext
from services.signals.update_effects import STATUS_OF_UPDATE, Reading
from services.signals.views import to_event_view

__all__ = ["STATUS_OF_UPDATE", "store_update", "update_note"]  # the backtest reads the first
log = structlog.get_logger(__name__)


async def store_update(  # noqa: PLR0913 - one post's coordinates and outcome
    ctx: SignalContext,
    source: SourceView,
    chat_id: int,
    message_id: int,
    text: str,
    result: ParseResult,
    reply_to: int | None,
) -> tuple[EventView, bool]:
    """Record the update post once; link and apply it the first time, or send it to the
    source's owner to place when it links to no single open signal or was read below the
    confidence threshold. Returns (event, created)."""
    reading = Reading.of(result)
    applied: list[EventView] = []
    async with ctx.db.transaction() as session:
        signals = SignalRepository(session)
        signal, linked_by, candidates = await _link(
            signals, SignalEventRepository(session), source.id, chat_id, result, reply_to
        )
        suggested = None
        if signal is not None and result.confidence < ctx.threshold:  # the gate: owner decides
            suggested, signal, linked_by = signal.id, None, None
        event, created = await SignalEventRepository(session).add_if_absent(
            {
                "signal_id": signal.id if signal else None,
                "source_id": source.id,
                "chat_id": chat_id,
                "message_id": message_id,
                "version": 0,
                "kind": reading.kind.value,
                "target_index": reading.target_index,
                "linked_by": linked_by,
                "raw_text": text,
                "text_sha256": sha256(text),
                "details": {"pair": result.pair, "candidates": candidates, **reading.details()},
                "created_at": ctx.clock(),
            }
        )
        if event.signal_id is not None:
            same = signal is not None and signal.id == event.signal_id
            linked = signal if same else await signals.get_for_update(event.signal_id)
            assert linked is not None  # the event's foreign key
            src = await SourceRepository(session).get(source.id)
            rows = await applying.with_others(session, event, reading, created)
            applied = await applying.apply_all(ctx, session, linked, src, rows)
        elif created:
            reason = _unplaced_reason(result, candidates, suggested)
            view = to_event_view(event)
            await placing.ask_owner(ctx, session, source.id, view, result, text, reason, suggested)
        log.info("update_stored", event_id=event.id, signal_id=event.signal_id, created=created)
        view = to_event_view(event)
    if view.signal_id is not None:
        await applying.hand_to_plans(ctx, view.signal_id, applied, text)
    return view, created


def _unplaced_reason(result: ParseResult, candidates: int, suggested: int | None) -> Unplaced:
    if suggested is not None:
        return Unplaced.LOW_CONFIDENCE
    if result.base is None:
        return Unplaced.NO_PAIR
    return Unplaced.AMBIGUOUS if candidates > 1 else Unplaced.NO_MATCH


async def _link(  # noqa: PLR0913 - the lookups linking needs
    signals: SignalRepository,
    events: SignalEventRepository,
    source_id: int,
    chat_id: int,
    result: ParseResult,
    reply_to: int | None,
) -> tuple[Signal | None, str | None, int]:
    """By reply (to the entry, or to an update linked to it), else by pair among the
    source's open signals when exactly one matches; never guessed.
    Returns (locked signal or None, how it was linked, number of candidates)."""
    if reply_to is not None:
        replied = await signals.by_post(chat_id, reply_to)
        if replied is not None and replied.kind is SignalKind.ENTRY:
            return await signals.get_for_update(replied.id), "reply", 1
        replied_event = await events.by_post(chat_id, reply_to)
        if replied_event is not None and replied_event.signal_id is not None:
            return await signals.get_for_update(replied_event.signal_id), "reply", 1
    if result.base is None:
        return None, None, 0
    candidates = [
        s
        for s in await signals.open_by_base(source_id, result.base)
        if result.quote is None or s.quote in {None, result.quote}
    ]
    if len(candidates) == 1:
        return await signals.get_for_update(candidates[0].id), "pair", 1
    return None, None, len(candidates)


def update_note(event: EventView, created: bool) -> str:
    """What to tell the person who forwarded an update post."""
    what = event.kind.replace("_", " ")
    if event.target_index is not None:
        what += f" (target {event.target_index})"
    if not created:
        return f"Already recorded: {what}."
    if event.signal_id is None:
        return (
            f"Update recorded: {what}, but not linked to a signal (no single open match, or "
            "read too unsure): the channel's owner is asked to link it."
        )
    return f"Update recorded: {what} on signal #{event.signal_id}."
