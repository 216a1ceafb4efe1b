"""The card's buttons: Track, Ignore, and the Edit form, decided by whoever manages the signal.

Track makes a pending or held signal live (followers told, auto followers trade); Ignore sets
it aside for good; both are idempotent. An edit by hand is refused once anything was traded on
the signal, is validated field by field and across fields (``edit_form``), and is recorded as
a ``manual_edit`` event whose version is the signal's edit count.
"""

from __future__ import annotations

from dataclasses import replace

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Signal
from core.db.repositories.signals import SignalEventRepository
from core.domain import SignalStatus
from core.errors import Conflict
from services.dto import UserView
from services.signal_dto import EventView, FieldOrigin, SignalView
from services.signals import fan_out
from services.signals.access import AWAITING, check_editable, managed
from services.signals.context import SignalContext
from services.signals.edit_form import EditValues, check_levels, parse_edit_value
from services.signals.views import card_diff, to_event_view, to_signal_view

log = structlog.get_logger(__name__)


async def track(ctx: SignalContext, user: UserView, signal_id: int) -> SignalView:
    """Track: a pending/held signal becomes active (followers told, auto followers trade);
    a private one is kept in the user's list."""
    async with ctx.db.transaction() as session:
        signal, source = await managed(session, user, signal_id)
        if signal.status is SignalStatus.ACTIVE:
            return to_signal_view(signal, source)
        if signal.status not in AWAITING:
            raise Conflict(f"This signal is already {signal.status.value}.")
        activated_at = ctx.clock()
        signal.status = SignalStatus.ACTIVE
        signal.activated_at = activated_at
        view = to_signal_view(signal, source)
        if signal.is_tracked:
            await fan_out.announce_signal(ctx, session, view)
    log.info("signal_tracked", signal_id=view.id)
    if view.is_tracked:
        await fan_out.auto_trade(ctx, view, activated_at)
    return view


async def ignore(ctx: SignalContext, user: UserView, signal_id: int) -> SignalView:
    """Ignore: a pending/held (or private) signal is set aside and never acted on."""
    async with ctx.db.transaction() as session:
        signal, source = await managed(session, user, signal_id)
        if signal.status is SignalStatus.IGNORED:
            return to_signal_view(signal, source)
        if signal.is_tracked and signal.status not in {SignalStatus.PENDING, SignalStatus.HELD}:
            raise Conflict(f"This signal is {signal.status.value}; followers already have it.")
        signal.status = SignalStatus.IGNORED
        return to_signal_view(signal, source)


async def start_edit(ctx: SignalContext, user: UserView, signal_id: int) -> SignalView:
    """Check the user may edit the signal now; return its card."""
    async with ctx.db.session() as session:
        signal, source = await managed(session, user, signal_id)
        check_editable(signal)
        view = to_signal_view(signal, source)
    await _refuse_if_traded(ctx, signal_id)
    return view


async def apply_edit(
    ctx: SignalContext, user: UserView, signal_id: int, changes: dict[str, str]
) -> SignalView:
    """Apply the Edit form's answers (field -> text; validated again here)."""
    values: EditValues = {}
    for name, text in changes.items():
        values.update(parse_edit_value(name, text))
    await _refuse_if_traded(ctx, signal_id)
    async with ctx.db.transaction() as session:
        signal, source = await managed(session, user, signal_id, lock=True)
        check_editable(signal)
        before = to_signal_view(signal, source)
        if not values:
            return before
        check_levels(replace(before, **values))
        _set_fields(signal, values, edited=changes)
        view = to_signal_view(signal, source)
        diff = card_diff(before, view)
        event = await _record_manual_edit(ctx, session, user, signal, diff)
        if signal.is_tracked and before.status is SignalStatus.ACTIVE and diff:
            await fan_out.announce_event(ctx, session, view, event)
        log.info("signal_edited_by_hand", signal_id=signal.id, fields=sorted(diff))
        return view


async def _refuse_if_traded(ctx: SignalContext, signal_id: int) -> None:
    if await ctx.trading.traded_signal_ids([signal_id]):
        raise Conflict("Something was traded on this signal already; it cannot change.")


def _set_fields(signal: Signal, values: EditValues, *, edited: dict[str, str]) -> None:
    """Write the validated values, mark the ``edited`` card fields as edited, count the edit."""
    columns: dict[str, object] = dict(values)
    if "targets" in values:
        columns["targets"] = [str(t) for t in values["targets"]]  # stored as decimal strings
    for key, value in columns.items():
        setattr(signal, key, value)
    origins = dict((signal.fields_meta or {}).get("origins", {}))
    for name in edited:
        origins[name] = FieldOrigin.EDITED.value
    meta = dict(signal.fields_meta or {})
    if "targets" in values:  # the targets typed replace the post's: none dropped any more
        meta.pop("targets_dropped", None)
    if "stop_loss" in values:  # typed by hand: no longer the stop an update moved
        meta.pop("stop_moved", None)
    signal.fields_meta = {**meta, "origins": origins}
    signal.edit_count += 1


async def _record_manual_edit(
    ctx: SignalContext,
    session: AsyncSession,
    user: UserView,
    signal: Signal,
    diff: dict[str, str],
) -> EventView:
    """The ``manual_edit`` event of the signal's latest edit (once per edit count)."""
    event, _ = await SignalEventRepository(session).add_if_absent(
        {
            "signal_id": signal.id,
            "source_id": signal.source_id,
            "chat_id": signal.chat_id,
            "message_id": signal.message_id,
            "version": signal.edit_count,
            "kind": "manual_edit",
            "details": {"applied": True, "changes": diff, "by": user.id},
            "created_at": ctx.clock(),
        }
    )
    return to_event_view(event)
