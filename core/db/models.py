"""ORM models for every entity in DESIGN.md, with the unique keys the promises rest on.

- ``signals (chat_id, message_id)``: a channel post is one signal, however often delivered.
- ``orders.client_order_id``: an order is placed once; retries reuse the id.
- ``inbox.update_id``: an update is handled once.
- ``outbox.dedupe_key``: a notification is queued once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from core.db.base import PK, Base, JSONType
from core.domain import (
    Access,
    InboxStatus,
    LegKind,
    LegStatus,
    Market,
    MarketType,
    OrderSide,
    OrderStatus,
    OrderType,
    OutboxStatus,
    PlanStatus,
    Role,
    Side,
    SignalKind,
    SignalStatus,
    SubscriptionMode,
)


def _enum(cls: type[Any], length: int = 20) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.TRADER)
    is_banned: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: the user blocked us
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_ban_notice_at: Mapped[datetime | None]  # also the last "you were refused" notice
    access: Mapped[Access] = mapped_column(_enum(Access), default=Access.GRANTED)


class Source(TimestampMixin, Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="channel")
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)  # owner checked as chat admin
    last_post_at: Mapped[datetime | None]  # the channel's latest post seen (the heartbeat)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # shown to every user; until then only to admins, the owner and the invitees (user ids)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    invitees: Mapped[list[Any]] = mapped_column(default=list)


class Signal(TimestampMixin, Base):
    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id"),
        Index("ix_signals_source_status", "source_id", "status"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    owner_user_id: Mapped[int | None] = mapped_column(  # private (untracked) signals
        ForeignKey("users.id", ondelete="CASCADE")
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    is_tracked: Mapped[bool] = mapped_column(Boolean, default=True)
    submitted_by_user_id: Mapped[int | None] = mapped_column(  # who forwarded it, if anyone
        ForeignKey("users.id", ondelete="SET NULL")
    )
    raw_text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    posted_at: Mapped[datetime | None]
    kind: Mapped[SignalKind] = mapped_column(_enum(SignalKind), default=SignalKind.ENTRY)
    base: Mapped[str | None] = mapped_column(String(32))
    quote: Mapped[str | None] = mapped_column(String(16))
    side: Mapped[Side | None] = mapped_column(_enum(Side))
    market: Mapped[Market | None] = mapped_column(_enum(Market))
    entry_low: Mapped[Decimal | None]
    entry_high: Mapped[Decimal | None]
    entry_is_market: Mapped[bool] = mapped_column(Boolean, default=False)
    targets: Mapped[list[Any]] = mapped_column(default=list)  # decimal strings, in written order
    stop_loss: Mapped[Decimal | None]
    leverage: Mapped[Decimal | None]
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    parser: Mapped[str] = mapped_column(String(16), default="rules")
    status: Mapped[SignalStatus] = mapped_column(_enum(SignalStatus), default=SignalStatus.PENDING)
    targets_hit: Mapped[int] = mapped_column(Integer, default=0)
    edit_count: Mapped[int] = mapped_column(Integer, default=0)
    # where each field came from: "text" (found in the post), "inferred", "edited"
    fields_meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    activated_at: Mapped[datetime | None]  # when it became active (auto-trading cut-off)
    closed_at: Mapped[datetime | None]


class SignalEvent(Base):
    __tablename__ = "signal_events"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    signal_id: Mapped[int | None] = mapped_column(  # None: an update we could not link
        ForeignKey("signals.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(BigInteger, default=0)  # edit date for edits, else 0
    kind: Mapped[str] = mapped_column(String(20))  # UpdateType value, or "edit"
    target_index: Mapped[int | None] = mapped_column(Integer)
    linked_by: Mapped[str | None] = mapped_column(String(10))  # reply | pair | None
    raw_text: Mapped[str] = mapped_column(Text, default="")
    text_sha256: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)  # first seen


class ExchangeAccount(TimestampMixin, Base):
    __tablename__ = "exchange_accounts"
    __table_args__ = (UniqueConstraint("user_id", "label"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    exchange_id: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64))
    is_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    api_key_enc: Mapped[str | None] = mapped_column(Text)
    secret_enc: Mapped[str | None] = mapped_column(Text)
    passphrase_enc: Mapped[str | None] = mapped_column(Text)
    key_hint: Mapped[str | None] = mapped_column(String(32))  # masked, e.g. "abcd…wxyz"
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # paper accounts trade one market each (a trader has a spot and a perp paper account);
    # a live account trades spot, and perps through the same keys when a plan asks for them
    market_type: Mapped[MarketType] = mapped_column(_enum(MarketType), default=MarketType.SPOT)


class Subscription(TimestampMixin, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "source_id"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[SubscriptionMode] = mapped_column(
        _enum(SubscriptionMode), default=SubscriptionMode.NOTIFY
    )
    exchange_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchange_accounts.id", ondelete="SET NULL")
    )
    order_size_quote: Mapped[Decimal | None]  # quote units per signal
    max_open_positions: Mapped[int | None] = mapped_column(Integer)
    max_leverage: Mapped[Decimal | None]
    # services.trade_plans.settings.FollowSettings as JSON (every field has a default)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)  # /pause <source>


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_user_id_status", "user_id", "status"),
        Index("ix_orders_symbol_created_at", "symbol", text("created_at DESC")),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_accounts.id", ondelete="CASCADE"), index=True
    )
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id", ondelete="SET NULL"))
    client_order_id: Mapped[str] = mapped_column(String(36), unique=True)
    exchange_order_id: Mapped[str | None] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[OrderSide] = mapped_column(_enum(OrderSide))
    type: Mapped[OrderType] = mapped_column(_enum(OrderType))
    amount: Mapped[Decimal]
    price: Mapped[Decimal | None]
    filled: Mapped[Decimal] = mapped_column(default=Decimal(0))
    average: Mapped[Decimal | None]
    fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fee_asset: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.PENDING)
    priced_by: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    reconcile_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notified_status: Mapped[str | None] = mapped_column(String(20))
    # paper: what a resting order holds back (quote for buys, base for sells), released on fill
    reserved: Mapped[Decimal | None]
    reduce_only: Mapped[bool] = mapped_column(Boolean, default=False)
    leverage: Mapped[int | None] = mapped_column(Integer)  # perp orders
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("trade_plans.id", ondelete="SET NULL"), index=True
    )


class PaperBalance(Base):
    __tablename__ = "paper_balances"
    __table_args__ = (UniqueConstraint("account_id", "asset"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("exchange_accounts.id", ondelete="CASCADE"))
    asset: Mapped[str] = mapped_column(String(16))
    free: Mapped[Decimal] = mapped_column(default=Decimal(0))
    used: Mapped[Decimal] = mapped_column(default=Decimal(0))
    avg_price: Mapped[Decimal | None]  # average cost of the holding, for positions


class ActionToken(Base):
    """An opaque id behind a Confirm button: the button carries only ``id``."""

    __tablename__ = "action_tokens"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|used|cancelled
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AICommand(Base):
    __tablename__ = "ai_commands"
    __table_args__ = (
        Index("ix_ai_commands_user_id_created_at", "user_id", text("created_at DESC")),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    parser: Mapped[str] = mapped_column(String(16), default="grammar")
    status: Mapped[str] = mapped_column(String(16), default="planned")
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class MarketCandle(Base):
    __tablename__ = "market_data"
    __table_args__ = (
        UniqueConstraint("exchange", "symbol", "timeframe", "timestamp"),
        Index(
            "ix_market_data_symbol_timeframe_timestamp",
            "symbol",
            "timeframe",
            text("timestamp DESC"),
        ),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    exchange: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(32))
    timeframe: Mapped[str] = mapped_column(String(8))
    timestamp: Mapped[datetime]
    open: Mapped[Decimal]
    high: Mapped[Decimal]
    low: Mapped[Decimal]
    close: Mapped[Decimal]
    volume: Mapped[Decimal]


class InboxUpdate(Base):
    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_status_locked_until", "status", "locked_until"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    payload: Mapped[str] = mapped_column(Text)  # raw update JSON, sealed; emptied when finished
    status: Mapped[InboxStatus] = mapped_column(_enum(InboxStatus), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    locked_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # a chat's head (its first pending row) is what the sender claims: per-chat order
        Index("ix_outbox_chat_id_status_id", "chat_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)  # HTML, already escaped
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    locked_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]


class TradePlan(TimestampMixin, Base):
    """A followed signal carried to its end for one trader: entries, take-profits and a stop.

    Stored (with its legs) before any order is sent; ``(user_id, signal_id)`` is unique, so a
    signal becomes at most one plan per trader however often it is delivered. ``version`` goes
    up on every change (optimistic check for concurrent workers)."""

    __tablename__ = "trade_plans"
    __table_args__ = (
        UniqueConstraint("user_id", "signal_id"),
        Index("ix_trade_plans_status", "status"),
        Index("ix_trade_plans_user_id_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    signal_id: Mapped[int | None] = mapped_column(
        ForeignKey("signals.id", ondelete="SET NULL"), index=True
    )
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    account_id: Mapped[int] = mapped_column(ForeignKey("exchange_accounts.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(16), default="auto")  # auto | confirm | manual
    symbol: Mapped[str] = mapped_column(String(40))
    market_type: Mapped[MarketType] = mapped_column(_enum(MarketType), default=MarketType.SPOT)
    side: Mapped[Side] = mapped_column(_enum(Side))
    leverage: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.PENDING)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # FollowSettings used
    entry_low: Mapped[Decimal | None]
    entry_high: Mapped[Decimal | None]
    targets: Mapped[list[Any]] = mapped_column(default=list)  # decimal strings
    tp_weights: Mapped[list[Any]] = mapped_column(default=list)  # decimal strings, sum 1
    stop_price: Mapped[Decimal | None]  # the stop in force now
    initial_stop: Mapped[Decimal | None]  # the stop R is measured against
    quantity: Mapped[Decimal] = mapped_column(default=Decimal(0))  # planned, base units
    filled_qty: Mapped[Decimal] = mapped_column(default=Decimal(0))
    avg_entry: Mapped[Decimal | None]
    closed_qty: Mapped[Decimal] = mapped_column(default=Decimal(0))
    realized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))  # quote, fees included
    fees: Mapped[Decimal] = mapped_column(default=Decimal(0))
    realized_r: Mapped[Decimal | None]
    targets_hit: Mapped[int] = mapped_column(Integer, default=0)
    trail_peak: Mapped[Decimal | None]  # best price since trailing started
    close_reason: Mapped[str | None] = mapped_column(Text)  # a code or the exchange's words
    notes: Mapped[list[Any]] = mapped_column(default=list)  # risk-guard adjustments, in words
    token: Mapped[str | None] = mapped_column(String(24))  # confirm mode: the card's token
    expires_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)


class PlanLeg(TimestampMixin, Base):
    """One order of a plan. ``client_order_id`` is fixed when the leg is stored, so a leg is
    placed at most once whatever restarts happen; a moved stop is a new leg (next ``gen``)."""

    __tablename__ = "plan_legs"
    __table_args__ = (UniqueConstraint("plan_id", "kind", "idx", "gen"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("trade_plans.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LegKind] = mapped_column(_enum(LegKind))
    idx: Mapped[int] = mapped_column(Integer, default=0)  # entry / target number, from 0
    gen: Mapped[int] = mapped_column(Integer, default=0)  # re-placements of the same leg
    side: Mapped[OrderSide] = mapped_column(_enum(OrderSide))
    type: Mapped[OrderType] = mapped_column(_enum(OrderType))
    price: Mapped[Decimal | None]  # limit price, or the stop's trigger
    amount: Mapped[Decimal]
    reduce_only: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[LegStatus] = mapped_column(_enum(LegStatus), default=LegStatus.PLANNED)
    client_order_id: Mapped[str] = mapped_column(String(36), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    filled: Mapped[Decimal] = mapped_column(default=Decimal(0))
    average: Mapped[Decimal | None]
    fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    reason: Mapped[str | None] = mapped_column(String(32))  # why an exit leg was sent
    error: Mapped[str | None] = mapped_column(Text)


class PerpPosition(Base):
    """A paper perpetual position (isolated margin, one-way): one row per (account, symbol),
    kept at size 0 between trades so the symbol's leverage setting stays."""

    __tablename__ = "perp_positions"
    __table_args__ = (UniqueConstraint("account_id", "symbol"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("exchange_accounts.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(40))
    side: Mapped[Side | None] = mapped_column(_enum(Side))
    size: Mapped[Decimal] = mapped_column(default=Decimal(0))  # base units, >= 0
    entry_price: Mapped[Decimal | None]
    leverage: Mapped[int] = mapped_column(Integer, default=1)
    margin: Mapped[Decimal] = mapped_column(default=Decimal(0))  # isolated wallet balance
    realized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class BotFlag(Base):
    """Bot-wide switches every process reads (``maintenance``), audited when changed."""

    __tablename__ = "bot_flags"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


# Tables kept in their own modules (each registers on ``Base.metadata`` when imported here).
from core.db.models_admin import Broadcast, UserActivity  # noqa: E402
from core.db.models_api import (  # noqa: E402
    ApiIdempotentReply,
    ApiKey,
    ApiRefreshToken,
    ApiSession,
)
from core.db.models_tracking import SignalOutcome  # noqa: E402

__all__ = [  # the rest are this module's own classes
    "Broadcast",
    "UserActivity",
    "ApiIdempotentReply",
    "ApiKey",
    "ApiRefreshToken",
    "ApiSession",
    "SignalOutcome",
]
