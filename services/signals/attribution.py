"""Whether a post a user sent the bot counts as its channel's signal.

A forward is attributed to its channel only when the origin is a registered, active source,
the post is no older than the forward age limit, and the sender administers the channel (or is
a bot admin). Anything else stays the sender's private signal, and the reason says why, so the
sender learns what to do instead.
"""

from __future__ import annotations

from core.domain import Role
from services.dto import UserView
from services.signal_dto import ForwardedPost, SourceView
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
