"""Following sources: /follow (notify, or auto with a USDT amount per trade), /unfollow, the list.

Words that do not fit /follow's form raise ``UsageError`` (the handler adds the usage).

A user follows a source at most once (following again changes the mode and amount). Auto mode
trades for the user, so it needs the trader role, and its amount is a positive ``Decimal`` of
at most ``MAX_AUTO_QUOTE``. Only active sources can be followed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import structlog

from core.db.repositories.subscriptions import SubscriptionRepository
from core.domain import SubscriptionMode
from core.errors import Forbidden, UserError
from core.permissions import role_allows
from services.dto import UserView
from services.signal_dto import SourceView, SubscriptionView
from services.signals.context import SignalContext
from services.sources import to_source_view
from services.symbols import UsageError, parse_quote_amount

log = structlog.get_logger(__name__)

MAX_AUTO_QUOTE: Final = Decimal(1_000_000)


async def follow(ctx: SignalContext, user: UserView, args: str) -> SubscriptionView:
    """``<source> [notify | auto <usdt per trade>]``; UserError on bad input or an inactive
    source, Forbidden for auto mode without the trader role."""
    parts = args.split()
    if not parts:
        raise UsageError("Which source? /sources lists them.")
    mode, amount = _mode(user, [p.lower() for p in parts[1:]])
    source = await ctx.sources.resolve(parts[0])
    if not source.is_active:
        raise UserError(f"{source.name} is not read any more; pick another source.")
    async with ctx.db.transaction() as session:
        sub, _created = await SubscriptionRepository(session).upsert(
            user.id, source.id, mode=mode, order_size_quote=amount, now=ctx.clock()
        )
        log.info("source_followed", source_id=source.id, mode=mode.value)
        return SubscriptionView(source, sub.mode, sub.order_size_quote)


def _mode(user: UserView, rest: list[str]) -> tuple[SubscriptionMode, Decimal | None]:
    """The follow mode and amount per trade from the words after the source (lower-cased):
    ``auto 50``, ``auto $50``, ``auto 50$``, ``auto 50usdt``, ``auto 50 usdt``."""
    if rest == ["notify"] or not rest:
        return SubscriptionMode.NOTIFY, None
    if rest[0] != "auto":
        raise UsageError("The mode is notify (default) or auto <USDT per trade>.")
    if len(rest) == 1:
        raise UsageError("Auto mode needs an amount: /follow <source> auto 50")
    amount = parse_quote_amount(" ".join(rest[1:]), "amount per trade")
    if amount > MAX_AUTO_QUOTE:
        raise UserError(f"At most {MAX_AUTO_QUOTE} USDT per trade.")
    if not role_allows(user.role, "trade"):
        raise Forbidden("Auto mode trades for you, which needs the trader role.")
    return SubscriptionMode.AUTO, amount


async def unfollow(ctx: SignalContext, user: UserView, ref: str) -> SourceView:
    """Stop following ``ref``; UserError when the user does not follow it."""
    if not ref.strip():
        raise UserError("Usage: /unfollow <source>.")
    source = await ctx.sources.resolve(ref)
    async with ctx.db.transaction() as session:
        if not await SubscriptionRepository(session).remove(user.id, source.id):
            raise UserError(f"You do not follow {source.name}.")
    log.info("source_unfollowed", source_id=source.id)
    return source


async def subscriptions(ctx: SignalContext, user: UserView) -> list[SubscriptionView]:
    """The sources the user follows, with mode and amount."""
    async with ctx.db.session() as session:
        return [
            SubscriptionView(to_source_view(source), sub.mode, sub.order_size_quote)
            for sub, source in await SubscriptionRepository(session).of_user(user.id)
        ]
