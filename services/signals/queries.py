"""Reading signals: one signal with its events (/signal), and the recent ones a user follows.

A private signal is its owner's only; a pending, held or ignored one is visible only to those
who decide on it (``access.may_manage``). Anything else asked for is ``NotFound``.
"""

from __future__ import annotations

from core.db.repositories.outcomes import OutcomeRepository
from core.db.repositories.signals import SignalEventRepository, SignalRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.errors import NotFound
from services.dto import UserView
from services.signal_dto import SignalDetail, SignalView
from services.signals.access import may_read, with_source
from services.signals.context import SignalContext
from services.signals.views import to_event_view, to_signal_view
from services.tracking.dto import view_of_row


async def detail(ctx: SignalContext, user: UserView, signal_id: int) -> SignalDetail:
    """A signal and its events; NotFound when the user may not see it."""
    async with ctx.db.session() as session:
        signal, source = await with_source(session, signal_id)
        if signal is None or not may_read(user, signal, source):
            raise NotFound(f"No signal #{signal_id}.")
        events = await SignalEventRepository(session).of_signal(signal.id)
        outcomes = await OutcomeRepository(session).of_signals([signal.id])
        return SignalDetail(
            signal=to_signal_view(signal, source),
            events=tuple(to_event_view(e) for e in events),
            outcomes=tuple(
                view_of_row(outcomes[(signal.id, kind)])
                for kind in ("price", "followed")
                if (signal.id, kind) in outcomes
            ),
        )


async def recent(ctx: SignalContext, user: UserView, limit: int = 10) -> list[SignalView]:
    """Recent signals of the sources the user follows (newest first)."""
    async with ctx.db.session() as session:
        followed = await SubscriptionRepository(session).of_user(user.id)
        sources = {source.id: source for _sub, source in followed}
        signals = await SignalRepository(session).recent_of_sources(list(sources), limit)
        return [to_signal_view(s, sources.get(s.source_id or 0)) for s in signals]
