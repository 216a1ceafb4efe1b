"""Which signal a post is: whether a forward counts as its channel's, and whether a new post
repeats an entry the channel already posted.

A forward is attributed to its channel only when the origin is a registered, active source,
the post is no older than the forward age limit, and the sender administers the channel (or is
a bot admin). Anything else stays the sender's private signal, and the reason says why, so the
sender learns what to do instead.

A post (or a forward of one) whose text, normalised (Unicode NFKC, case, whitespace and
invisible format characters ignored), equals that of an entry the same source posted within
``duplicate_window`` is that entry: it is recorded as a ``repost`` event linked to it (so a
reply to the copy reaches the entry), never a second signal, never announced or traded again.
Two copies are decided one after the other (the source's row is locked), so two at once still
make one signal.
"""

from __future__ import annotations

import hashlib
import unicodedata

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Signal
from core.db.repositories.reposts import RepostRepository
from core.db.repositories.signals import SignalEventRepository
from core.domain import Role
from services.dto import UserView
from services.signal_dto import ForwardedPost, SourceView
from services.signals.columns import sha256
from services.signals.context import SignalContext
from services.sources import ChatDirectory


async def attribute(
    ctx: SignalContext, user: UserView, post: ForwardedPost, chats: ChatDirectory
) -> tuple[SourceView | None, str]:
    """(the channel's source, "") when the post counts as the channel's; else (None, why not)."""
    if post.origin_chat_id is None or post.origin_message_id is None:
        return None, "a copy without a channel origin is never attributed to a channel"
    source = await ctx.sources.active_by_chat(post.origin_chat_id)
    if source is None:
        return None, "that channel is not a registered source"
    if post.origin_date is not None and ctx.clock() - post.origin_date > ctx.forward_max_age:
        hours = int(ctx.forward_max_age.total_seconds() // 3600)
        return None, f"the post is older than {hours} h"
    if user.role is not Role.ADMIN and not await ctx.sources.is_channel_admin(
        post.origin_chat_id, user.telegram_id, chats
    ):
        return None, "only the channel's admins can submit its signals"
    return source, ""


REPOST = "repost"  # the event kind of a post repeating an entry


def text_key(text: str) -> str:
    """The hash two copies of one post share: NFKC, casefolded, format characters (zero-width
    spaces and joiners) dropped, whitespace runs made one space, ends trimmed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return hashlib.sha256(" ".join(visible.split()).encode("utf-8", "surrogatepass")).hexdigest()


async def earlier_copy(
    ctx: SignalContext, session: AsyncSession, source_id: int, text: str
) -> Signal | None:
    """The source's entry, first seen within the duplicate window, whose text is ``text``
    (normalised); None when there is none or the window is 0. Locks the source's row for the
    rest of ``session``'s transaction, so the caller's insert is decided in turn."""
    if ctx.duplicate_window.total_seconds() <= 0:
        return None
    reposts = RepostRepository(session)
    await reposts.lock_source(source_id)
    key = text_key(text)
    since = ctx.clock() - ctx.duplicate_window
    for signal in await reposts.recent_entries(source_id, since):
        if text_key(signal.raw_text) == key:
            return signal
    return None


async def record_copy(  # noqa: PLR0913 - the copy's coordinates and the entry it repeats
    ctx: SignalContext,
    session: AsyncSession,
    original: Signal,
    chat_id: int,
    message_id: int,
    text: str,
) -> bool:
    """Record the post at (chat, message) as a repeat of ``original``; True the first time."""
    _, created = await SignalEventRepository(session).add_if_absent(
        {
            "signal_id": original.id,
            "source_id": original.source_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "version": 0,
            "kind": REPOST,
            "linked_by": "text",
            "raw_text": text,
            "text_sha256": sha256(text),
            "details": {"repost_of": original.id},
            "created_at": ctx.clock(),
        }
    )
    return created
