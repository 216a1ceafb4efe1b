"""Frozen dataclasses of the signals feature: what crosses the service boundary.

Inputs (``ChannelPost``, ``ForwardedPost``, ``ChatInfo``) are plain values the handlers read
from Telegram updates; outputs (``SignalView``, ``SourceView`` ...) are what the services return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.domain import Market, Side, SignalKind, SignalStatus, SubscriptionMode
from services.tracking.dto import OutcomeView

# The fields the Edit form walks, in order.
EDIT_FIELDS: tuple[str, ...] = ("pair", "side", "entry", "targets", "stop_loss", "leverage")


class FieldOrigin(StrEnum):
    TEXT = "text"  # found in the post
    INFERRED = "inferred"  # set by the parser without a span in the text
    EDITED = "edited"  # changed by a person through the Edit form
    MISSING = "missing"


class StopMove(StrEnum):
    """How a signal's stop was last moved by an update post (``update_effects``)."""

    PRICE = "price"  # to the price the post gave
    ENTRY = "entry"  # to entry: the one entry price
    ZONE_MIDDLE = "zone_middle"  # to entry: the middle of the entry zone


@dataclass(frozen=True, slots=True)
class ChannelPost:
    """A post as seen in a channel (``channel_post`` / ``edited_channel_post``)."""

    chat_id: int
    message_id: int
    text: str
    date: datetime | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None  # epoch seconds, for edits
    title: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardedPost:
    """A private message a user sent: a forward of a channel post, or a plain copy."""

    chat_id: int  # the user's private chat
    message_id: int  # in that private chat
    text: str
    origin_chat_id: int | None = None  # set when ``forward_origin`` is a channel
    origin_message_id: int | None = None
    origin_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """What ``getChat`` / a chat-member update says about a chat."""

    chat_id: int
    type: str
    title: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class SourceView:
    id: int
    chat_id: int
    title: str | None
    username: str | None
    verified: bool
    is_active: bool
    owner_telegram_id: int | None = None
    followers: int = 0
    signals: int = 0
    approved: bool = True  # False: only admins, the owner and the invitees see it

    @property
    def name(self) -> str:
        if self.username:
            return "@" + self.username
        return self.title or str(self.chat_id)


@dataclass(frozen=True, slots=True)
class SignalView:
    id: int
    source_id: int | None
    source_name: str | None
    is_tracked: bool
    kind: SignalKind
    base: str | None
    quote: str | None
    side: Side | None
    market: Market | None
    entry_low: Decimal | None
    entry_high: Decimal | None
    entry_is_market: bool
    targets: tuple[Decimal, ...]
    stop_loss: Decimal | None
    leverage: Decimal | None
    confidence: float
    parser: str
    status: SignalStatus
    targets_hit: int
    edit_count: int
    first_seen_at: datetime
    origins: dict[str, FieldOrigin] = field(default_factory=dict)
    targets_dropped: int = 0  # targets past ``columns.MAX_TARGETS`` the post listed
    stop_moved: StopMove | None = None  # set once an update post moved the stop
    # fields the parser worked out from the others ("side": from the targets and the stop)
    inferred: frozenset[str] = frozenset()

    @property
    def pair(self) -> str | None:
        if self.base is None:
            return None
        return f"{self.base}/{self.quote}" if self.quote else self.base

    def origin(self, name: str) -> FieldOrigin:
        return self.origins.get(name, FieldOrigin.MISSING)


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    signal_id: int | None
    kind: str
    target_index: int | None
    linked_by: str | None
    created_at: datetime
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignalDetail:
    signal: SignalView
    events: tuple[EventView, ...]
    outcomes: tuple[OutcomeView, ...] = ()  # tracked from candles: price, then followed


class CardKind(StrEnum):
    """Why a card is shown, which decides its header and buttons."""

    TRACKED = "tracked"  # the channel's signal (forwarded by an admin / held for its owner)
    PRIVATE = "private"  # the forwarder's own parse; not attributed to any channel


@dataclass(frozen=True, slots=True)
class IntakeReply:
    """What to answer a user who sent a post: a card, or a short note."""

    card: SignalView | None = None
    card_kind: CardKind | None = None
    note: str | None = None  # why private / "not a signal" / update recorded ...
    duplicate: bool = False
    choices: tuple[SignalView, ...] = ()  # open signals the pending card may be linked to


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    source: SourceView
    mode: SubscriptionMode
    order_size_quote: Decimal | None


class Unplaced(StrEnum):
    """Why an update post went to its source's owner instead of to a signal."""

    NO_PAIR = "no_pair"  # no reply and no pair named: any open signal could be meant
    NO_MATCH = "no_match"  # the pair named has no open signal
    AMBIGUOUS = "ambiguous"  # several open signals on the pair named
    LOW_CONFIDENCE = "low_confidence"  # linked, but read below the confidence threshold


@dataclass(frozen=True, slots=True)
class UnplacedUpdate:
    """An update post the owner is asked to place: link it to one of ``choices`` (the
    source's open signals, the likeliest first) or ignore it."""

    event: EventView
    source_name: str
    reason: Unplaced
    text: str  # the post as written
    confidence: float
    choices: tuple[SignalView, ...] = ()
    suggested: int | None = None  # the signal it was linked to before the confidence gate
    stop: Decimal | None = None  # the new stop a stop move read


@dataclass(frozen=True, slots=True)
class PlacedUpdate:
    """What the owner's button did: ``signal`` is the one the update now belongs to (None when
    ignored); ``already``: an earlier press had done it (nothing applied twice)."""

    event: EventView
    signal: SignalView | None
    already: bool = False
