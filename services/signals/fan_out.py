"""Telling people about a signal (followers, the owner of a held post) and handing it to the
followers who trade it.

Messages are outbox rows queued in the caller's transaction (so a message exists iff the change
it announces does), each with a dedupe key per signal or event and user, so a repeated delivery
queues nothing twice. Plans for auto and confirm followers are made after the signal's
transaction has committed and rely on ``SignalPlans.plan_signal`` being idempotent per
(signal, follower).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Source, User
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.db.repositories.users import UserRepository
from core.domain import Role
from services.notifications import enqueue
from services.signal_dto import CardKind, EventView, SignalView
from services.signals.context import SignalContext
from services.text import split_message

log = structlog.get_logger(__name__)


async def announce_signal(ctx: SignalContext, session: AsyncSession, view: SignalView) -> None:
    """Queue "new signal" for every follower of the signal's source."""
    if view.source_id is None:
        return
    text = ctx.messages.new_signal(view)
    followers = await SubscriptionRepository(session).followers(view.source_id)
    if len(split_message(text)) > 1:  # a card longer than a message: chunk by chunk
        for _sub, user in followers:
            await enqueue(
                OutboxRepository(session),
                user.telegram_id,
                text,
                dedupe_key=f"sig:{view.id}:u:{user.id}",
                user_id=user.id,
            )
        return
    # one statement for every follower (a channel can have thousands)
    await OutboxRepository(session).enqueue_many(
        [
            {
                "chat_id": user.telegram_id,
                "text": text,
                "dedupe_key": f"sig:{view.id}:u:{user.id}",
                "user_id": user.id,
            }
            for _sub, user in followers
        ]
    )


async def announce_event(
    ctx: SignalContext, session: AsyncSession, view: SignalView, event: EventView
) -> None:
    """Queue an event of a tracked signal (update, edit) for every follower of its source."""
    if view.source_id is None or not view.is_tracked:
        return
    outbox = OutboxRepository(session)
    text = ctx.messages.event(view, event)
    for _sub, user in await SubscriptionRepository(session).followers(view.source_id):
        await enqueue(
            outbox,
            user.telegram_id,
            text,
            dedupe_key=f"sigev:{event.id}:u:{user.id}",
            user_id=user.id,
        )


async def send_held_card(
    ctx: SignalContext,
    session: AsyncSession,
    view: SignalView,
    source: Source | None,
    choices: tuple[SignalView, ...] = (),
    *,
    doubt: str = "",
) -> None:
    """A held post goes to the source owner (or, without one, to the bot admins): Track
    confirms it as a new signal; a short entry (no targets, no stop) may also be linked to
    one of ``choices``, the source's open signals it may restate. ``doubt``: why its
    confidence was lowered ("entry 64,000 is 27.6 % from the market 88,405"), told with it."""
    users = UserRepository(session)
    owner = (
        await users.get(source.owner_user_id)
        if source is not None and source.owner_user_id is not None
        else None
    )
    recipients: list[User] = [owner] if owner is not None else await users.list(role=Role.ADMIN)
    if is_short(view):
        note = (
            "A short entry, with no targets and no stop: nothing happens until you confirm it "
            "as a new signal (Track), link it to an open signal it is about, or ignore it."
            + (f" Note: {doubt}." if doubt else "")
        )
    else:
        why = f" ({doubt})" if doubt else ""
        note = (
            f"Confidence {view.confidence:.0%} is below {ctx.threshold:.0%}{why}: "
            "nothing happens until you press Track"
            + (" (or link it to the open signal it is about)." if choices else ".")
        )
    outbox = OutboxRepository(session)
    buttons = ctx.messages.card_buttons(view) + ctx.messages.link_buttons(view, choices)
    for recipient in recipients:
        await enqueue(
            outbox,
            recipient.telegram_id,
            ctx.messages.card(view, CardKind.TRACKED, note),
            dedupe_key=f"sighold:{view.id}:u:{recipient.id}",
            buttons=buttons,
            user_id=recipient.id,
        )


def is_short(view: SignalView) -> bool:
    """An entry with no targets and no stop ("BTC long 88000"): never live unconfirmed."""
    return not view.targets and view.stop_loss is None


async def auto_trade(ctx: SignalContext, view: SignalView, activated_at: datetime) -> None:
    """Make the plans of the signal's auto and confirm followers (those who followed before it
    became active). Idempotent per (signal, follower): a repeated delivery resumes the plans
    made, it never makes a second. Raises ``TemporaryExchangeError`` after serving everyone
    when some follower's exchange was unreachable: the update is re-run later."""
    if ctx.plans is None or view.source_id is None or view.side is None or view.base is None:
        return
    await ctx.plans.plan_signal(view, activated_at)
