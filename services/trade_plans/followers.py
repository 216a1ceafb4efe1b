"""A signal's followers as the plan intake sees them, and the rules that sort them.

``follow_settings`` reads a subscription's settings (rows from before settings existed keep
their mode and size); ``trader_risk`` a trader's limits; ``is_futures`` says whether a signal
trades on perps (futures market, a short, or leverage above 1x: never a spot buy);
``batchable`` picks the followers the paper spot batch serves (auto mode, paper spot, traders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.db.models import Source, Subscription, User
from core.domain import Market, Side, SubscriptionMode
from core.permissions import role_allows
from services.exchange.base import Balance
from services.signal_dto import SignalView
from services.trade_plans.dto import Refusal
from services.trade_plans.settings import (
    ACCOUNT_AUTO,
    ACCOUNT_PAPER_SPOT,
    FollowSettings,
    TraderRisk,
)


@dataclass(frozen=True, slots=True)
class Follower:
    sub: Subscription
    user: User
    settings: FollowSettings


def follow_settings(sub: Subscription) -> FollowSettings:
    """The subscription's settings; rows from before settings existed keep mode and size."""
    settings = FollowSettings.from_json(sub.settings)
    if not sub.settings:
        settings = settings.with_value("mode", sub.mode.value)
        if sub.order_size_quote is not None:
            settings = settings.with_value("size", sub.order_size_quote)
    return settings


def trader_risk(user: User) -> TraderRisk:
    raw = (user.settings or {}).get("risk")
    return TraderRisk.from_json(raw if isinstance(raw, dict) else None)


def is_futures(view: SignalView) -> bool:
    leveraged = view.leverage is not None and view.leverage > 1
    return view.market is Market.FUTURES or view.side is Side.SHORT or leveraged


def batchable(view: SignalView, follower: Follower) -> bool:
    """Auto mode on the follower's paper spot account, for a trader (the rest one by one)."""
    settings, user = follower.settings, follower.user
    return (
        settings.mode is SubscriptionMode.AUTO
        and settings.account in (ACCOUNT_AUTO, ACCOUNT_PAPER_SPOT)
        and not is_futures(view)
        and not user.is_banned
        and role_allows(user.role, "trade")
    )


def source_name(source: Source) -> str:
    if source.username:
        return "@" + source.username
    return source.title or str(source.chat_id)


def free_quote(balances: Sequence[Balance], quote: str) -> Decimal:
    """The free balance of ``quote`` (0 when the account holds none)."""
    return next((b.free for b in balances if b.asset == quote), Decimal(0))


def spot_refusal(view: SignalView) -> Refusal:
    """Why a short or a futures signal is not traded on a paper spot account."""
    what = "a short" if view.side is Side.SHORT else "a futures signal"
    return Refusal(
        "market",
        f"This is {what}; your account for this source is paper spot, which cannot trade it. "
        "Choose paper perp (or auto) in /following.",
    )
