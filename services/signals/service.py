"""SignalService: the one object handlers call for the signals feature.

It builds the shared ``SignalContext`` once and hands each call to the module that owns it:
``intake`` (channel posts and forwards), ``channel_edits``, ``decisions`` (Track / Ignore /
Edit), ``follows`` and ``queries``. It holds no state of its own, so a newcomer reads a method
here to find where the work is done.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.clock import Clock, utc_now
from core.db.session import Database
from services.dto import UserView
from services.signal_dto import (
    ChannelPost,
    EventView,
    ForwardedPost,
    IntakeReply,
    PlacedUpdate,
    SignalDetail,
    SignalView,
    SourceView,
    SubscriptionView,
)
from services.signal_parser import ParseResult
from services.signal_parser.ai import ModelFallback
from services.signals import channel_edits, decisions, follows, intake, placing, queries
from services.signals.context import SignalContext
from services.signals.ports import MarketPrices, SignalMessages, SignalPlans, SignalTrading
from services.source_heartbeat import SourceHeartbeat
from services.sources import ChatDirectory, SourceService


class SignalService:
    """Intake of channel posts and forwards, the signal lifecycle, and the follow commands."""

    def __init__(  # noqa: PLR0913 - collaborators, all injected by the composition root
        self,
        db: Database,
        sources: SourceService,
        trading: SignalTrading,
        messages: SignalMessages,
        *,
        ai: ModelFallback | None = None,
        threshold: float = 0.6,
        forward_max_age_h: int = 72,
        duplicate_window_s: int = 86_400,
        default_quote: str = "USDT",
        plans: SignalPlans | None = None,
        heartbeat: SourceHeartbeat | None = None,
        prices: MarketPrices | None = None,
        entry_far_pct: Decimal = Decimal(0),
        price_timeout_s: float = 1.0,
        clock: Clock = utc_now,
    ) -> None:
        self._ctx = SignalContext(
            db=db,
            sources=sources,
            trading=trading,
            messages=messages,
            ai=ai,
            threshold=threshold,
            forward_max_age=timedelta(hours=forward_max_age_h),
            duplicate_window=timedelta(seconds=duplicate_window_s),
            default_quote=default_quote,
            clock=clock,
            plans=plans,
            heartbeat=heartbeat,
            prices=prices,
            entry_far_pct=entry_far_pct,
            price_timeout_s=price_timeout_s,
        )

    async def parse(self, text: str) -> ParseResult:
        """The rules' reading of ``text``, or the model's when the rules are unsure."""
        return await self._ctx.parse(text)

    # -- intake and channel edits ---------------------------------------------------------------

    async def ingest_channel_post(self, post: ChannelPost) -> SignalView | EventView | None:
        """A channel post, stored once if it is an entry or update of a registered source."""
        return await intake.ingest_channel_post(self._ctx, post)

    async def ingest_private(
        self, user: UserView, post: ForwardedPost, chats: ChatDirectory
    ) -> IntakeReply:
        """A post a user sent the bot: the channel's signal, or the user's private one."""
        return await intake.ingest_private(self._ctx, user, post, chats)

    async def edit_channel_post(self, post: ChannelPost) -> EventView | SignalView | None:
        """An edited channel post: applied until something is traded, recorded always."""
        return await channel_edits.edit_channel_post(self._ctx, post)

    # -- the card's buttons and the Edit form ---------------------------------------------------

    async def track(self, user: UserView, signal_id: int) -> SignalView:
        """Make a pending/held signal live (Conflict once it is closed or stopped)."""
        return await decisions.track(self._ctx, user, signal_id)

    async def ignore(self, user: UserView, signal_id: int) -> SignalView:
        """Set a pending/held (or private) signal aside (Conflict once it is live)."""
        return await decisions.ignore(self._ctx, user, signal_id)

    async def start_edit(self, user: UserView, signal_id: int) -> SignalView:
        """Check the user may edit the signal now; return its card."""
        return await decisions.start_edit(self._ctx, user, signal_id)

    async def apply_edit(
        self, user: UserView, signal_id: int, changes: dict[str, str]
    ) -> SignalView:
        """Apply the Edit form's answers (field -> text; validated again here)."""
        return await decisions.apply_edit(self._ctx, user, signal_id, changes)

    async def place_update(
        self, user: UserView, event_id: int, signal_id: int | None
    ) -> PlacedUpdate:
        """The owner's answer to an unplaced update: link it to ``signal_id`` (and apply it),
        or ignore it (None); a second press applies nothing again."""
        return await placing.place(self._ctx, user, event_id, signal_id)

    async def link_entry(
        self, user: UserView, signal_id: int, to_id: int
    ) -> tuple[SignalView, bool]:
        """A held entry restating open signal ``to_id``: set aside, recorded on it as a
        repost. Returns (that signal, whether an earlier press had done it)."""
        return await placing.link_entry(self._ctx, user, signal_id, to_id)

    # -- queries and follows --------------------------------------------------------------------

    async def detail(self, user: UserView, signal_id: int) -> SignalDetail:
        """A signal and its events (NotFound when the user may not see it)."""
        return await queries.detail(self._ctx, user, signal_id)

    async def recent(self, user: UserView, limit: int = 10) -> list[SignalView]:
        """Recent signals of the sources the user follows (newest first)."""
        return await queries.recent(self._ctx, user, limit)

    async def subscriptions(self, user: UserView) -> list[SubscriptionView]:
        """The sources the user follows."""
        return await follows.subscriptions(self._ctx, user)

    async def follow(
        self, user: UserView, args: str, check: follows.SizeCheck | None = None
    ) -> SubscriptionView:
        """``<source> [notify | confirm | auto] [size]``; a given size goes through ``check``
        (the account's minimum and balance) before anything is stored."""
        return await follows.follow(self._ctx, user, args, check)

    async def unfollow(self, user: UserView, ref: str) -> SourceView:
        """Stop following a source."""
        return await follows.unfollow(self._ctx, user, ref)
