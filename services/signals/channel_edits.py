"""Edits of channel posts: a signal takes its post's new levels until something is traded on it;
afterwards the plans trading it take the edit's new targets and stop (the signal keeps its
first reading, for the record).

Each edit is an event row unique on (chat id, message id, "edit", edit date), so a repeated
delivery records nothing twice. The edit is applied only to an entry whose signal is still open
and untraded; otherwise it is recorded with the reason. Followers hear of it only once the
signal is live. A live signal (and the plans trading it) takes only an edit that passes the
gate a new post passes: read at or above the confidence threshold, with a target or a stop;
otherwise the edit is recorded, not applied (an entry moved far from the market is read below
the threshold: see ``plausibility``). An edited update post keeps its first reading;
an edited post that was not a signal is read again as a new post.
"""

from __future__ import annotations

import structlog

from core.db.models import Signal
from core.db.repositories.signals import SignalEventRepository, SignalRepository
from core.db.repositories.sources import SourceRepository
from core.domain import SignalKind
from services.signal_dto import ChannelPost, EventView, SignalView
from services.signal_parser import ParseResult
from services.signals import fan_out, plausibility
from services.signals.access import AWAITING, OPEN_FOR_EDIT
from services.signals.columns import MAX_TARGETS, sha256, take_levels
from services.signals.context import SignalContext
from services.signals.intake import ingest_channel_post
from services.signals.views import card_diff, to_event_view, to_signal_view

log = structlog.get_logger(__name__)


async def edit_channel_post(
    ctx: SignalContext, post: ChannelPost
) -> EventView | SignalView | None:
    """An edited channel post. Before anything was traded on its signal the signal takes
    the new levels; afterwards the edit is only recorded (and shown to followers)."""
    source = await ctx.sources.active_by_chat(post.chat_id)
    if source is None or not post.text.strip():
        return None
    async with ctx.db.session() as session:
        existing = await SignalRepository(session).by_post(post.chat_id, post.message_id)
        known_event = await SignalEventRepository(session).by_post(post.chat_id, post.message_id)
    if existing is None:
        if known_event is not None:
            return None  # an edited update post: the first reading stands
        return await ingest_channel_post(ctx, post)  # e.g. "other" edited into an entry
    traded = bool(await ctx.trading.traded_signal_ids([existing.id]))
    result, doubt = await plausibility.judge(ctx, await ctx.parse(post.text))
    event = await _record_edit(ctx, post, existing.id, result, traded=traded, doubt=doubt)
    sure = result.confidence >= ctx.threshold and bool(result.targets or result.stop_loss)
    if traded and ctx.plans is not None and result.kind is SignalKind.ENTRY and sure:
        # the signal keeps its first levels; the plans trading it take the new targets and
        # stop (each plan once per edit, also when the edit is delivered again)
        targets = tuple(result.targets[:MAX_TARGETS])  # bounded as a stored signal's
        await ctx.plans.apply_edit(existing.id, event.id, targets, result.stop_loss)
    return event


async def _record_edit(  # noqa: PLR0913 - the edit, its signal and what was judged of it
    ctx: SignalContext,
    post: ChannelPost,
    signal_id: int,
    result: ParseResult,
    *,
    traded: bool,
    doubt: str = "",
) -> EventView:
    """Apply the edit if allowed, record it once, and tell followers of a live signal."""
    version = post.edit_date or int(ctx.clock().timestamp())
    async with ctx.db.transaction() as session:
        signal = await SignalRepository(session).get_for_update(signal_id)
        assert signal is not None
        before = to_signal_view(signal, None)
        reason = _refusal(ctx, signal, result, traded=traded, doubt=doubt)
        applied = not reason
        changes = _take_parse(signal, result) if applied else {}
        event, created = await SignalEventRepository(session).add_if_absent(
            {
                "signal_id": signal.id,
                "source_id": signal.source_id,
                "chat_id": post.chat_id,
                "message_id": post.message_id,
                "version": version,
                "kind": "edit",
                "raw_text": post.text,
                "text_sha256": sha256(post.text),
                "details": {"applied": applied, "reason": reason, "changes": changes},
                "created_at": ctx.clock(),
            }
        )
        if not created:
            return to_event_view(event)
        if applied:
            signal.edit_count += 1
        src = await SourceRepository(session).get(signal.source_id or 0)
        event_view = to_event_view(event)
        if before.status not in AWAITING:
            await fan_out.announce_event(ctx, session, to_signal_view(signal, src), event_view)
        log.info("signal_edited", signal_id=signal.id, applied=applied, reason=reason)
        return event_view


def _refusal(
    ctx: SignalContext, signal: Signal, result: ParseResult, *, traded: bool, doubt: str = ""
) -> str:
    """Why the edit cannot change the signal, or "" when it can. A live signal takes only an
    edit read at or above the confidence threshold, with a target or a stop (the gate a new
    post passes; ``doubt``: why its confidence was lowered); a held or pending one takes any
    (its owner still decides)."""
    if traded:
        return "already traded"
    if result.kind is not SignalKind.ENTRY:
        return "the edited post is not an entry"
    if signal.status not in OPEN_FOR_EDIT:
        return f"the signal is {signal.status.value}"
    if signal.status not in AWAITING:
        if result.confidence < ctx.threshold:
            return (
                f"the edit was read at {result.confidence:.0%} confidence, "
                f"below {ctx.threshold:.0%}" + (f" ({doubt})" if doubt else "")
            )
        if not result.targets and result.stop_loss is None:
            return "the edited post has no targets and no stop"
    return ""


def _take_parse(signal: Signal, result: ParseResult) -> dict[str, str]:
    """Take the levels of a new parse; return the changed card fields (old -> new)."""
    before = to_signal_view(signal, None)
    take_levels(signal, result)
    return card_diff(before, to_signal_view(signal, None))
