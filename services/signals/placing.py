"""Update posts the bot cannot place go to the source's owner, who links them or ignores them.

The welcome text promises it ("those I am not sure about come to you to confirm first"): an
update that links to no single open signal ("TP1 hit" with three open, "cancel the ETH signal"
with none on ETH), or that links but was read below the confidence threshold, is recorded
unlinked and its owner (the bot admins for a source without one) gets a card listing the
source's open signals, the likeliest first, as buttons, and an Ignore button.

A press is checked again here: the caller must be a bot admin or the source's owner, the signal
one of the source's open tracked entries. The event row is locked, so a second press (or two at
once) applies nothing twice: it answers what the first did. Linking applies the update exactly
as a linked post would be (``update_effects``), tells followers and hands it to their plans;
linking and ignoring are audited.

A held short entry ("BTC long 88000") may restate an open signal on its pair: ``link_entry``
sets it aside and records it on that signal as a repost (audited, once).
"""

from __future__ import annotations

from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Signal, SignalEvent, Source, User
from core.db.repositories.audit import AuditRepository
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.signals import SignalEventRepository, SignalRepository
from core.db.repositories.sources import SourceRepository
from core.db.repositories.users import UserRepository
from core.domain import Role, SignalKind, SignalStatus
from core.errors import Conflict, NotFound
from services.dto import UserView
from services.notifications import enqueue
from services.signal_dto import EventView, PlacedUpdate, SignalView, Unplaced, UnplacedUpdate
from services.signal_parser import ParseResult
from services.signals import applying
from services.signals.access import managed
from services.signals.context import SignalContext
from services.signals.update_effects import Reading
from services.signals.views import to_event_view, to_signal_view
from services.sources import to_source_view

log = structlog.get_logger(__name__)

MAX_CHOICES: Final = 5  # open signals offered as buttons (the newest, the likeliest first)
IGNORED: Final = "ignored"


async def ask_owner(  # noqa: PLR0913 - the post, its reading and why it was not placed
    ctx: SignalContext,
    session: AsyncSession,
    source_id: int,
    event: EventView,
    result: ParseResult,
    text: str,
    reason: Unplaced,
    suggested: int | None = None,
) -> None:
    """Queue the "place this update" card for the source's owner (or the bot admins)."""
    source = await SourceRepository(session).get(source_id)
    if source is None:
        return
    choices = await open_signals(session, source, result.base, suggested)
    card = UnplacedUpdate(
        event=event,
        source_name=to_source_view(source).name,
        reason=reason,
        text=text,
        confidence=result.confidence,
        choices=tuple(to_signal_view(s, source) for s in choices),
        suggested=suggested,
        stop=result.stop_loss,
    )
    outbox = OutboxRepository(session)
    for recipient in await _deciders(session, source):
        await enqueue(
            outbox,
            recipient.telegram_id,
            ctx.messages.unplaced(card),
            dedupe_key=f"sigunp:{event.id}:u:{recipient.id}",
            buttons=ctx.messages.place_buttons(card),
            user_id=recipient.id,
        )
    log.info("update_sent_to_owner", event_id=event.id, reason=reason.value)


async def place(
    ctx: SignalContext, user: UserView, event_id: int, signal_id: int | None
) -> PlacedUpdate:
    """The owner's press: link the update to ``signal_id`` and apply it, or (None) ignore it.
    NotFound unless the caller decides on the source; Conflict for a signal no longer open."""
    async with ctx.db.transaction() as session:
        event, source = await _decided_event(session, user, event_id)
        done = await _already(session, event, source)
        if done is not None:
            return done
        if signal_id is None:
            event.details = {**(event.details or {}), "placed": IGNORED, "placed_by": user.id}
            await _audit(session, user, "signal_update_ignored", event, None)
            return PlacedUpdate(event=to_event_view(event), signal=None)
        signal = await _open_signal_of(session, source, signal_id)
        event.signal_id = signal.id
        event.linked_by = "owner"
        event.details = {**(event.details or {}), "placed_by": user.id}
        reading = Reading.from_details(event.kind, event.target_index, event.details)
        rows = await applying.with_others(session, event, reading, created=True)
        views = await applying.apply_all(ctx, session, signal, source, rows)
        await _audit(session, user, "signal_update_linked", event, signal.id)
        view, text = to_signal_view(signal, source), event.raw_text
    await applying.hand_to_plans(ctx, view.id, views, text)
    log.info("update_placed_by_owner", event_id=event_id, signal_id=view.id)
    return PlacedUpdate(event=views[0], signal=view)


async def link_entry(
    ctx: SignalContext, user: UserView, signal_id: int, to_id: int
) -> tuple[SignalView, bool]:
    """The owner's answer to a held entry that restates an open signal: the held one is set
    aside and recorded on ``to_id`` as a repost. Returns (that signal, done before)."""
    async with ctx.db.transaction() as session:
        held, source = await managed(session, user, signal_id, lock=True)
        linked = (held.fields_meta or {}).get("linked_to")
        if linked is not None:
            target = await SignalRepository(session).get(int(linked))
            if target is not None:
                return to_signal_view(target, source), True
        if held.status not in {SignalStatus.HELD, SignalStatus.PENDING} or source is None:
            raise Conflict(f"This signal is {held.status.value}; it can no longer be linked.")
        target = await _open_signal_of(session, source, to_id)
        held.status = SignalStatus.IGNORED
        held.fields_meta = {**(held.fields_meta or {}), "linked_to": target.id}
        await SignalEventRepository(session).add_if_absent(
            {
                "signal_id": target.id,
                "source_id": source.id,
                "chat_id": held.chat_id,
                "message_id": held.message_id,
                "version": 0,
                "kind": "repost",
                "linked_by": "owner",
                "raw_text": held.raw_text,
                "text_sha256": held.text_sha256,
                "details": {"held_signal_id": held.id, "placed_by": user.id},
                "created_at": ctx.clock(),
            }
        )
        await AuditRepository(session).add(
            "signal_entry_linked",
            actor_user_id=user.id,
            target=f"signal:{held.id}",
            details={"signal_id": target.id, "source_id": source.id},
        )
        log.info("entry_linked_by_owner", signal_id=held.id, to=target.id)
        return to_signal_view(target, source), False


async def _decided_event(
    session: AsyncSession, user: UserView, event_id: int
) -> tuple[SignalEvent, Source]:
    """The event (locked) and its source, when ``user`` decides on the source."""
    event = await session.get(SignalEvent, event_id, with_for_update=True)
    source = (
        await SourceRepository(session).get(event.source_id)
        if event is not None and event.source_id is not None
        else None
    )
    if event is None or source is None or not _decides(user, source):
        raise NotFound("No such update, or it is not yours to place.")
    return event, source


def _decides(user: UserView, source: Source) -> bool:
    return user.role is Role.ADMIN or source.owner_user_id == user.id


async def _already(
    session: AsyncSession, event: SignalEvent, source: Source
) -> PlacedUpdate | None:
    """What an earlier press did, or None when the update is still unplaced."""
    if event.signal_id is not None:
        signal = await SignalRepository(session).get(event.signal_id)
        view = to_signal_view(signal, source) if signal is not None else None
        return PlacedUpdate(event=to_event_view(event), signal=view, already=True)
    if (event.details or {}).get("placed") == IGNORED:
        return PlacedUpdate(event=to_event_view(event), signal=None, already=True)
    return None


async def _open_signal_of(session: AsyncSession, source: Source, signal_id: int) -> Signal:
    signal = await SignalRepository(session).get_for_update(signal_id)
    if (
        signal is None
        or signal.source_id != source.id
        or not signal.is_tracked
        or signal.kind is not SignalKind.ENTRY
    ):
        raise NotFound(f"No signal #{signal_id} of {to_source_view(source).name}.")
    if signal.status is not SignalStatus.ACTIVE:
        status = signal.status.value
        raise Conflict(f"Signal #{signal.id} is {status}; the update was not applied.")
    return signal


async def open_signals(
    session: AsyncSession, source: Source, base: str | None, suggested: int | None
) -> list[Signal]:
    """The source's open signals, the suggested one first, then those on ``base``, newest
    first; at most ``MAX_CHOICES``."""
    recent = await SignalRepository(session).recent_of_sources([source.id], limit=50)
    open_ = [s for s in recent if s.status is SignalStatus.ACTIVE and s.kind is SignalKind.ENTRY]
    open_.sort(key=lambda s: (s.id != suggested, base is not None and s.base != base, -s.id))
    return open_[:MAX_CHOICES]


async def _deciders(session: AsyncSession, source: Source) -> list[User]:
    users = UserRepository(session)
    owner = await users.get(source.owner_user_id) if source.owner_user_id is not None else None
    return [owner] if owner is not None else await users.list(role=Role.ADMIN)


async def _audit(
    session: AsyncSession, user: UserView, action: str, event: SignalEvent, signal_id: int | None
) -> None:
    await AuditRepository(session).add(
        action,
        actor_user_id=user.id,
        target=f"signal_event:{event.id}",
        details={"signal_id": signal_id, "source_id": event.source_id, "kind": event.kind},
    )
