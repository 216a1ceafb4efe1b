"""Telling people about a signal: followers, the owner of a held post, and auto followers' trades.

Messages are outbox rows queued in the caller's transaction (so a message exists iff the change
it announces does), each with a dedupe key per signal or event and user, so a repeated delivery
queues nothing twice. Auto-trading runs after the signal's transaction has committed and relies
on ``SignalTrading.trade_signal`` being idempotent per (signal, user).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Source, Subscription, User
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.db.repositories.users import UserRepository
from core.domain import Role, SubscriptionMode
from core.errors import OrderRejected, TemporaryExchangeError, UserError
from services.notifications import enqueue
from services.signal_dto import CardKind, EventView, SignalView
from services.signals.context import SignalContext

log = structlog.get_logger(__name__)


async def announce_signal(ctx: SignalContext, session: AsyncSession, view: SignalView) -> None:
    """Queue "new signal" for every follower of the signal's source."""
    if view.source_id is None:
        return
    outbox = OutboxRepository(session)
    text = ctx.messages.new_signal(view)
    for _sub, user in await SubscriptionRepository(session).followers(view.source_id):
        await enqueue(
            outbox,
            user.telegram_id,
            text,
            dedupe_key=f"sig:{view.id}:u:{user.id}",
            user_id=user.id,
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
    ctx: SignalContext, session: AsyncSession, view: SignalView, source: Source | None
) -> None:
    """A held post goes to the source owner (or, without one, to the bot admins)."""
    users = UserRepository(session)
    owner = (
        await users.get(source.owner_user_id)
        if source is not None and source.owner_user_id is not None
        else None
    )
    recipients: list[User] = [owner] if owner is not None else await users.list(role=Role.ADMIN)
    note = (
        f"Confidence {view.confidence:.0%} is below {ctx.threshold:.0%}: "
        "nothing happens until you press Track."
    )
    outbox = OutboxRepository(session)
    for recipient in recipients:
        await enqueue(
            outbox,
            recipient.telegram_id,
            ctx.messages.card(view, CardKind.TRACKED, note),
            dedupe_key=f"sighold:{view.id}:u:{recipient.id}",
            buttons=ctx.messages.card_buttons(view),
            user_id=recipient.id,
        )


async def auto_trade(ctx: SignalContext, view: SignalView, activated_at: datetime) -> None:
    """Trade the signal for every auto follower who followed before it became active.

    Raises the last ``TemporaryExchangeError`` after trying everyone: the update is re-run
    later, and trades already placed are not repeated."""
    if view.source_id is None or view.side is None or view.base is None:
        return
    retry: TemporaryExchangeError | None = None
    for sub, user in await _auto_followers(ctx, view.source_id, activated_at):
        try:
            await _trade_for(ctx, view, sub, user)
        except TemporaryExchangeError as exc:
            log.warning("auto_trade_deferred", signal_id=view.id, user_id=user.id)
            retry = exc
    if retry is not None:
        raise retry


async def _auto_followers(
    ctx: SignalContext, source_id: int, activated_at: datetime
) -> list[tuple[Subscription, User]]:
    async with ctx.db.session() as session:
        return [
            (sub, user)
            for sub, user in await SubscriptionRepository(session).followers(source_id)
            if sub.mode is SubscriptionMode.AUTO
            and sub.order_size_quote is not None
            and sub.created_at <= activated_at
        ]


async def _trade_for(ctx: SignalContext, view: SignalView, sub: Subscription, user: User) -> None:
    """One follower's trade and the note telling them how it went (refusals included)."""
    assert view.side is not None and sub.order_size_quote is not None
    try:
        order = await ctx.trading.trade_signal(
            user.id,
            signal_id=view.id,
            symbol=f"{view.base}/{view.quote or ctx.default_quote}",
            side=view.side,
            quote_amount=sub.order_size_quote,
            account_id=sub.exchange_account_id,
        )
    except (UserError, OrderRejected) as exc:
        log.info("auto_trade_refused", signal_id=view.id, user_id=user.id)
        await _note(ctx, view, user, ctx.messages.auto_trade_note(view, exc.user_message))
        return
    if order is None:
        reason = "it cannot be traded on your account (a short on spot, for one)"
        await _note(ctx, view, user, ctx.messages.auto_trade_note(view, reason))
    else:
        await _note(ctx, view, user, ctx.messages.auto_traded(view, order))


async def _note(ctx: SignalContext, view: SignalView, user: User, text: str) -> None:
    async with ctx.db.transaction() as session:
        await enqueue(
            OutboxRepository(session),
            user.telegram_id,
            text,
            dedupe_key=f"sigauto:{view.id}:u:{user.id}",
            user_id=user.id,
        )
