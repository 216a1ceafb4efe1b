"""Update posts ("TP1 hit", "closed", "SL moved"): stored once, linked to their signal, applied.

An update is an event row unique on (chat id, message id, kind, version). It is linked by reply
(to the entry, or to an update already linked) or else by pair when exactly one of the source's
open signals matches; never guessed. Only an active signal changes status, and followers hear of
an update in the same transaction that records it. Once recorded, a linked update is applied to
the working plans of its signal (move the stop, close, partial close, cancel).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import structlog

from core.db.models import Signal
from core.db.repositories.signals import SignalEventRepository, SignalRepository
from core.db.repositories.sources import SourceRepository
from core.domain import SignalKind, SignalStatus, UpdateType
from services.signal_dto import EventView, SourceView
from services.signal_parser import ParseResult
from services.signals import fan_out
from services.signals.columns import sha256
from services.signals.context import SignalContext
from services.signals.views import to_event_view, to_signal_view

log = structlog.get_logger(__name__)

# Update kinds that change a signal's status (the rest are recorded as events only).
STATUS_OF_UPDATE: Final = {
    UpdateType.SL_HIT: SignalStatus.STOPPED,
    UpdateType.CLOSE: SignalStatus.CLOSED,
    UpdateType.CANCEL: SignalStatus.CANCELLED,
}


async def store_update(  # noqa: PLR0913 - one post's coordinates and outcome
    ctx: SignalContext,
    source: SourceView,
    chat_id: int,
    message_id: int,
    text: str,
    result: ParseResult,
    reply_to: int | None,
) -> tuple[EventView, bool]:
    """Record the update post once; link and apply it the first time. Returns (event, created)."""
    update = result.update
    kind = update.type if update is not None else UpdateType.OTHER
    target_index = update.target_index if update is not None else None
    applied_to: int | None = None
    async with ctx.db.transaction() as session:
        signals = SignalRepository(session)
        events = SignalEventRepository(session)
        signal, linked_by, candidates = await _link(
            signals, events, source.id, chat_id, result, reply_to
        )
        event, created = await events.add_if_absent(
            {
                "signal_id": signal.id if signal else None,
                "source_id": source.id,
                "chat_id": chat_id,
                "message_id": message_id,
                "version": 0,
                "kind": kind.value,
                "target_index": target_index,
                "linked_by": linked_by,
                "raw_text": text,
                "text_sha256": sha256(text),
                "details": {"pair": result.pair, "candidates": candidates},
                "created_at": ctx.clock(),
            }
        )
        view = to_event_view(event)
        if created and signal is not None:
            changed = _apply_update(ctx, signal, kind, target_index)
            view = replace(view, details={**view.details, "status_changed": changed})
            src = await SourceRepository(session).get(source.id)
            await fan_out.announce_event(ctx, session, to_signal_view(signal, src), view)
        log.info(
            "update_stored",
            event_id=event.id,
            signal_id=event.signal_id,
            linked_by=linked_by,
            created=created,
        )
        applied_to = event.signal_id
    if applied_to is not None and ctx.plans is not None:
        # after the commit, also on a redelivery (a crash may have come in between): each plan
        # applies an event once, in its own step, and tells its follower
        await ctx.plans.apply_update(applied_to, view.id, kind, text)
    return view, created


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


def _apply_update(
    ctx: SignalContext, signal: Signal, kind: UpdateType, target_index: int | None
) -> bool:
    """Status change of an update; only an active signal changes. Returns whether it did."""
    if signal.status is not SignalStatus.ACTIVE:
        return False
    if kind is UpdateType.TP_HIT:
        hit = target_index if target_index is not None else signal.targets_hit + 1
        if hit > signal.targets_hit:
            signal.targets_hit = hit
            return True
        return False
    new_status = STATUS_OF_UPDATE.get(kind)
    if new_status is None:
        return False
    signal.status = new_status
    signal.closed_at = ctx.clock()
    return True


def update_note(event: EventView, created: bool) -> str:
    """What to tell the person who forwarded an update post."""
    what = event.kind.replace("_", " ")
    if event.target_index is not None:
        what += f" (target {event.target_index})"
    if not created:
        return f"Already recorded: {what}."
    if event.signal_id is None:
        return f"Update recorded: {what}, but not linked to a signal (no single open match)."
    return f"Update recorded: {what} on signal #{event.signal_id}."
