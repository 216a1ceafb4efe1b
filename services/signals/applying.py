"""A linked update post applied to its signal: its main event and each other event the post
reports (``also``: "TP1 hit, move SL to entry" is a take-profit and a stop move).

Each event is its own row, unique on (chat id, message id, kind, version), so every one is
recorded, applied (``update_effects``) and announced once, and handed to the followers' plans
under its own id (a plan applies each channel event once). Used for an update linked when it
is posted (``updates``) and for one its owner links later (``placing``).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Signal, SignalEvent, Source
from core.db.repositories.signals import SignalEventRepository
from core.domain import UpdateType
from services.signal_dto import EventView
from services.signals import fan_out
from services.signals.access import AWAITING
from services.signals.context import SignalContext
from services.signals.update_effects import Reading, apply_update
from services.signals.views import to_event_view, to_signal_view

Applied = list[tuple[SignalEvent, Reading, bool]]  # (event row, its reading, new)


async def with_others(
    session: AsyncSession, main: SignalEvent, reading: Reading, created: bool
) -> Applied:
    """The main event and a row for each of the post's other events (found, or added)."""
    rows: Applied = [(main, reading, created)]
    for kind in reading.also:
        other = reading.other(kind)
        row, new = await SignalEventRepository(session).add_if_absent(
            {
                "signal_id": main.signal_id,
                "source_id": main.source_id,
                "chat_id": main.chat_id,
                "message_id": main.message_id,
                "version": main.version,
                "kind": kind.value,
                "linked_by": main.linked_by,
                "raw_text": main.raw_text,
                "text_sha256": main.text_sha256,
                "details": {"also_of": main.id, **other.details()},
                "created_at": main.created_at,
            }
        )
        rows.append((row, other, new))
    return rows


async def apply_all(
    ctx: SignalContext,
    session: AsyncSession,
    signal: Signal,
    source: Source | None,
    rows: Applied,
) -> list[EventView]:
    """Apply each new event to ``signal`` (locked) in order and tell its followers; the
    views of all of them, for the plans."""
    views: list[EventView] = []
    for row, reading, new in rows:
        if new:
            effect = apply_update(signal, reading, row.raw_text, ctx.clock())
            row.signal_id = signal.id
            row.target_index = effect.target_index
            row.details = {
                **(row.details or {}),
                **effect.details,
                "status_changed": effect.changed,
                "plan_stop": str(effect.stop) if effect.stop is not None else None,
            }
            if signal.status not in AWAITING:  # followers never heard of a held signal
                view = to_event_view(row)
                await fan_out.announce_event(ctx, session, to_signal_view(signal, source), view)
        views.append(to_event_view(row))
    return views


async def hand_to_plans(
    ctx: SignalContext, signal_id: int, views: list[EventView], text: str
) -> None:
    """After the commit, also on a redelivery (a crash may have come in between): each plan
    applies each event once, in its own step, and tells its follower."""
    if ctx.plans is None:
        return
    for view in views:
        stop = view.details.get("plan_stop")
        await ctx.plans.apply_update(
            signal_id,
            view.id,
            UpdateType(view.kind),
            text,
            stop=Decimal(stop) if isinstance(stop, str) else None,
        )
