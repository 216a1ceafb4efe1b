"""Following sources: /follow <source> [notify | confirm | auto] [size], /unfollow, the list.

Words that do not fit /follow's form raise ``UsageError`` (the handler adds the usage).

A user follows a source at most once: following again changes the mode (and the size when one
is given) and keeps every other setting. The settings are ``FollowSettings`` stored as JSON in
``Subscription.settings``; the mode stays mirrored in ``Subscription.mode`` and a fixed quote
size in ``order_size_quote`` (None in notify mode). Confirm and auto trade for the user, so they
need the trader role. A size is a positive ``Decimal`` checked by ``FollowSettings`` and, when
the caller passes one, by ``check`` (the account's minimum and free balance) before anything is
stored. Only active sources can be followed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import structlog

from core.db.models import Subscription
from core.db.repositories.subscriptions import SubscriptionRepository
from core.domain import SubscriptionMode
from core.errors import Forbidden, UserError
from core.permissions import role_allows
from services.dto import UserView
from services.signal_dto import SourceView, SubscriptionView
from services.signals.context import SignalContext
from services.sources import to_source_view
from services.symbols import UsageError, parse_quote_amount
from services.trade_plans.settings import FollowSettings, Sizing

log = structlog.get_logger(__name__)

# Called with the settings about to be stored when /follow names a size; raises UserError.
SizeCheck = Callable[[UserView, FollowSettings], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FollowRequest:
    source_ref: str
    mode: SubscriptionMode
    size: Decimal | None  # quote per signal, when given


def parse_follow(user: UserView, args: str) -> FollowRequest:
    """``<source> [notify | confirm | auto] [size]``: ``auto``, ``auto 50``, ``auto $50``,
    ``auto 50usdt``, ``confirm 25 usdt``. ``Forbidden`` for confirm/auto without the trader
    role."""
    parts = args.split()
    if not parts:
        raise UsageError("Which source? /sources lists them.")
    rest = [p.lower() for p in parts[1:]]
    if not rest:
        return FollowRequest(parts[0], SubscriptionMode.NOTIFY, None)
    try:
        mode = SubscriptionMode(rest[0])
    except ValueError:
        raise UsageError(
            "The mode is notify (default) or auto, or confirm (each plan asks you first), "
            "then the USDT per trade if you like."
        ) from None
    size = parse_quote_amount(" ".join(rest[1:]), "amount per trade") if rest[1:] else None
    if mode is SubscriptionMode.NOTIFY and size is not None:
        raise UsageError("Notify mode trades nothing, so it takes no amount.")
    if mode is not SubscriptionMode.NOTIFY and not role_allows(user.role, "trade"):
        raise Forbidden(
            f"{mode.value.capitalize()} mode trades for you, which needs the trader role."
        )
    return FollowRequest(parts[0], mode, size)


def mirror(sub: Subscription, settings: FollowSettings) -> None:
    """Store ``settings`` and mirror the mode and a fixed quote size in the older columns."""
    sub.settings = settings.to_json()
    sub.mode = settings.mode
    trades = settings.mode is not SubscriptionMode.NOTIFY and settings.sizing is Sizing.QUOTE
    sub.order_size_quote = settings.size if trades else None


async def follow(
    ctx: SignalContext, user: UserView, args: str, check: SizeCheck | None = None
) -> SubscriptionView:
    """Follow (or change the mode of) a source; UserError on bad input, a refused size or an
    inactive source, Forbidden for confirm/auto without the trader role. Nothing is stored
    when anything is refused."""
    request = parse_follow(user, args)
    source = await ctx.sources.resolve(request.source_ref, user)
    if not source.is_active:
        raise UserError(f"{source.name} is not read any more; pick another source.")
    async with ctx.db.session() as session:
        existing = await SubscriptionRepository(session).get(user.id, source.id)
        stored = FollowSettings.from_json(existing.settings if existing else None)
    settings = stored.with_value("mode", request.mode)
    if request.size is not None:
        settings = settings.with_value("sizing", Sizing.QUOTE).with_value("size", request.size)
        if check is not None:
            await check(user, settings)
    async with ctx.db.transaction() as session:
        sub, _created = await SubscriptionRepository(session).upsert(
            user.id, source.id, mode=settings.mode, order_size_quote=None, now=ctx.clock()
        )
        mirror(sub, settings)
        log.info("source_followed", source_id=source.id, mode=settings.mode.value)
        return SubscriptionView(source, sub.mode, sub.order_size_quote)


async def unfollow(ctx: SignalContext, user: UserView, ref: str) -> SourceView:
    """Stop following ``ref``; UserError when the user does not follow it."""
    if not ref.strip():
        raise UserError("Usage: /unfollow <source>.")
    source = await ctx.sources.resolve(ref, user)
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
