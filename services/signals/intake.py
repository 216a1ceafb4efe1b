"""Intake: every channel post and every post a user sends the bot, read once.

A post is unique on (chat id, message id); a forward counts as its origin post, so a channel
post and its forward (by any number of users) are one signal, and a post repeating the text of
an entry its source posted within the duplicate window is that entry too (see ``attribution``).
A channel entry at or above the confidence threshold goes live at once (followers told, auto
followers trade); below it (an entry far from its pair's market price is read below it: see
``plausibility``), or a short entry with no targets and no stop ("BTC long 88000"), it is held
for the source owner (confirm as a new signal, link it to an open signal on its
pair, or ignore it). A forward by a channel admin waits (pending) for their Track. Anything
not attributable is the sender's private, untracked signal. Auto-trading is retried on every
repeated delivery of a live entry, because a crash may have come between the commit and the
trades (a repost is not such a delivery: it trades nothing).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Source
from core.db.repositories.signals import SignalRepository
from core.db.repositories.sources import SourceRepository
from core.domain import SignalKind, SignalStatus
from services.dto import UserView
from services.signal_dto import (
    CardKind,
    ChannelPost,
    EventView,
    ForwardedPost,
    IntakeReply,
    SignalView,
    SourceView,
)
from services.signal_parser import ParseResult
from services.signals import fan_out, placing, plausibility
from services.signals.attribution import attribute, earlier_copy, record_copy
from services.signals.columns import new_signal_row
from services.signals.context import SignalContext
from services.signals.updates import store_update, update_note
from services.signals.views import to_signal_view
from services.sources import ChatDirectory

log = structlog.get_logger(__name__)


async def ingest_channel_post(
    ctx: SignalContext, post: ChannelPost
) -> SignalView | EventView | None:
    """A post in a channel: stored once if it is an entry or an update of a registered
    source; anything else is ignored quietly. Returns what was stored (or found)."""
    source = await ctx.sources.active_by_chat(post.chat_id)
    if source is None:
        return None
    if ctx.heartbeat is not None:  # any post, a picture too, is a sign of life
        await ctx.heartbeat.seen(source.id, post.date)
    if not post.text.strip():
        return None
    result = await ctx.parse(post.text)
    if result.kind is SignalKind.ENTRY:
        result, doubt = await plausibility.judge(ctx, result)  # an entry far from the market
        sure = result.confidence >= ctx.threshold and (result.targets or result.stop_loss)
        status = SignalStatus.ACTIVE if sure else SignalStatus.HELD  # short entries: held
        view, _ = await store_entry(
            ctx,
            source,
            post.chat_id,
            post.message_id,
            post.text,
            result,
            status=status,
            posted_at=post.date,
            doubt=doubt,
        )
        return view
    if result.kind is SignalKind.UPDATE:
        event, _ = await store_update(
            ctx, source, post.chat_id, post.message_id, post.text, result, post.reply_to_message_id
        )
        return event
    log.info("channel_post_ignored", confidence=result.confidence)
    return None


async def ingest_private(
    ctx: SignalContext, user: UserView, post: ForwardedPost, chats: ChatDirectory
) -> IntakeReply:
    """A post a user sent the bot: a forward counts as the channel's signal when its origin
    is a registered source, the post is recent and the user administers the channel (or is
    a bot admin); otherwise it is the user's private, untracked signal."""
    if not post.text.strip():
        return IntakeReply(note="That message has no text I could read.")
    result = await ctx.parse(post.text)
    if result.kind is SignalKind.OTHER:
        return IntakeReply(
            note="That is not a signal: I found no coin with a side or price levels in it."
        )
    source, reason = await attribute(ctx, user, post, chats)
    if source is not None:
        return await _store_for_channel(ctx, user, post, result, source)
    if result.kind is SignalKind.UPDATE:
        kind = result.update.type.value if result.update else "update"
        return IntakeReply(note=f"That is an update post ({kind}). It was not recorded: {reason}.")
    view, created = await _store_private(ctx, user, post, result)
    return IntakeReply(card=view, card_kind=CardKind.PRIVATE, note=reason, duplicate=not created)


async def _store_for_channel(
    ctx: SignalContext,
    user: UserView,
    post: ForwardedPost,
    result: ParseResult,
    source: SourceView,
) -> IntakeReply:
    """A forward attributed to its channel: an entry waits for Track, an update is applied."""
    assert post.origin_chat_id is not None and post.origin_message_id is not None
    if result.kind is SignalKind.ENTRY:
        result, doubt = await plausibility.judge(ctx, result)  # the card's confidence, earned
        view, created = await store_entry(
            ctx,
            source,
            post.origin_chat_id,
            post.origin_message_id,
            post.text,
            result,
            status=SignalStatus.PENDING,
            submitted_by=user.id,
            posted_at=post.origin_date,
        )
        choices = await _restated(ctx, view) if view.status is SignalStatus.PENDING else ()
        return IntakeReply(
            card=view,
            card_kind=CardKind.TRACKED,
            note=f"The {doubt}: check it before you press Track." if doubt else None,
            duplicate=not created,
            choices=choices,
        )
    event, created = await store_update(
        ctx, source, post.origin_chat_id, post.origin_message_id, post.text, result, None
    )
    return IntakeReply(note=update_note(event, created))


async def store_entry(  # noqa: PLR0913 - one post's coordinates and outcome
    ctx: SignalContext,
    source: SourceView,
    chat_id: int,
    message_id: int,
    text: str,
    result: ParseResult,
    *,
    status: SignalStatus,
    submitted_by: int | None = None,
    posted_at: datetime | None = None,
    doubt: str = "",
) -> tuple[SignalView, bool]:
    """Store a channel's entry once (announcing it, or holding it, the first time); auto-trade
    it whenever it is live. Returns (signal, created). ``posted_at``: when the channel posted
    it (Telegram's date; a follower's plan refuses a signal older than its max age, so an old
    post, a backlog after downtime or a held post tracked late is told, not traded).
    ``doubt``: why a held post's confidence was lowered, for its owner's card."""
    now = ctx.clock()
    values = {
        **new_signal_row(result, text, chat_id, message_id, now),
        "posted_at": posted_at or now,
        "source_id": source.id,
        "is_tracked": True,
        "submitted_by_user_id": submitted_by,
        "status": status,
        "activated_at": now if status is SignalStatus.ACTIVE else None,
    }
    async with ctx.db.transaction() as session:
        signals = SignalRepository(session)
        if await signals.by_post(chat_id, message_id) is None:
            original = await earlier_copy(ctx, session, source.id, text)
            if original is not None:  # the same post again: that entry, recorded, not re-sent
                new_copy = await record_copy(ctx, session, original, chat_id, message_id, text)
                log.info("signal_repost", signal_id=original.id, first_time=new_copy)
                src = await SourceRepository(session).get(source.id)
                return to_signal_view(original, src), False
        signal, created = await signals.add_if_absent(values)
        src = await SourceRepository(session).get(source.id)
        view = to_signal_view(signal, src)
        if created:
            log.info("signal_stored", signal_id=signal.id, status=status.value)
            if status is SignalStatus.ACTIVE:
                await fan_out.announce_signal(ctx, session, view)
            elif status is SignalStatus.HELD and src is not None:
                others = await _open_on_pair(session, src, view)
                await fan_out.send_held_card(ctx, session, view, src, others, doubt=doubt)
        activated_at = signal.activated_at
    if view.status is SignalStatus.ACTIVE and activated_at is not None:
        # also on a repeated delivery: a crash may have come between commit and trading
        await fan_out.auto_trade(ctx, view, activated_at)
    return view, created


async def _store_private(
    ctx: SignalContext, user: UserView, post: ForwardedPost, result: ParseResult
) -> tuple[SignalView, bool]:
    """The sender's own untracked signal, pending their Track. Returns (signal, created)."""
    values = {
        **new_signal_row(result, post.text, post.chat_id, post.message_id, ctx.clock()),
        "source_id": None,
        "owner_user_id": user.id,
        "submitted_by_user_id": user.id,
        "is_tracked": False,
        "status": SignalStatus.PENDING,
    }
    async with ctx.db.transaction() as session:
        signal, created = await SignalRepository(session).add_if_absent(values)
        return to_signal_view(signal, None), created


async def _open_on_pair(
    session: AsyncSession, source: Source, view: SignalView
) -> tuple[SignalView, ...]:
    """The source's open signals on the entry's coin (other than itself): those it may restate."""
    choices = await placing.open_signals(session, source, view.base, None)
    return tuple(
        to_signal_view(s, source) for s in choices if s.id != view.id and s.base == view.base
    )


async def _restated(ctx: SignalContext, view: SignalView) -> tuple[SignalView, ...]:
    async with ctx.db.session() as session:
        source = await SourceRepository(session).get(view.source_id or 0)
        return await _open_on_pair(session, source, view) if source is not None else ()
