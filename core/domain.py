"""Enums shared by models and services."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    TRADER = "trader"
    VIEWER = "viewer"
    API_USER = "api_user"


class Access(StrEnum):
    """Whether a user may use the bot (README "Who may do what"); roles say what they may do."""

    GRANTED = "granted"
    PENDING = "pending"  # REGISTRATION=approval: waiting for an admin
    REFUSED = "refused"  # an admin said no


class Side(StrEnum):
    LONG = "long"
    SHORT = "short"


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Market(StrEnum):
    SPOT = "spot"
    FUTURES = "futures"


class SignalKind(StrEnum):
    ENTRY = "entry"
    UPDATE = "update"
    OTHER = "other"


class SignalStatus(StrEnum):
    PENDING = "pending"
    HELD = "held"  # below the confidence threshold, waiting for the source owner
    ACTIVE = "active"
    CLOSED = "closed"
    STOPPED = "stopped"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    IGNORED = "ignored"


class UpdateType(StrEnum):
    TP_HIT = "tp_hit"
    SL_HIT = "sl_hit"
    MOVE_SL = "move_sl"
    CLOSE = "close"
    PARTIAL_CLOSE = "partial_close"
    CANCEL = "cancel"
    ENTRY_FILLED = "entry_filled"
    OTHER = "other"


class SubscriptionMode(StrEnum):
    NOTIFY = "notify"
    CONFIRM = "confirm"
    AUTO = "auto"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class OrderStatus(StrEnum):
    PENDING = "pending"  # row committed, exchange not yet called
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"  # exchange call timed out / 5xx: reconcile, never resend blind
    NOT_FOUND = "not_found"  # placement unknown, never found after the checks: never placed

    @property
    def is_final(self) -> bool:
        return self in {
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.REJECTED,
            OrderStatus.NOT_FOUND,
        }


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class MarketType(StrEnum):
    """What an exchange account trades: spot coins or USDT-margined perpetual futures."""

    SPOT = "spot"
    PERP = "perp"


class PlanStatus(StrEnum):
    """A trade plan's life: stored before anything is sent, then worked until it ends."""

    AWAITING_CONFIRM = "awaiting_confirm"  # confirm mode: the card is out, nothing sent
    PENDING = "pending"  # stored; entry legs being placed
    OPEN = "open"  # entries working, nothing filled yet
    ACTIVE = "active"  # a position is held (some entry filled)
    CLOSED = "closed"  # position closed (targets, stop, channel close, panic)
    CANCELLED = "cancelled"  # nothing filled and it ended (channel cancel, ignore, pause)
    EXPIRED = "expired"  # entries not filled before the signal's expiry
    LIQUIDATED = "liquidated"  # perp position liquidated
    FAILED = "failed"  # the exchange refused an entry; nothing held

    @property
    def is_final(self) -> bool:
        return self in {
            PlanStatus.CLOSED,
            PlanStatus.CANCELLED,
            PlanStatus.EXPIRED,
            PlanStatus.LIQUIDATED,
            PlanStatus.FAILED,
        }


class LegKind(StrEnum):
    ENTRY = "entry"
    TAKE_PROFIT = "tp"
    STOP = "stop"
    EXIT = "exit"  # a market close (spot TP/SL watched by the bot, channel close, panic)


class LegStatus(StrEnum):
    PLANNED = "planned"  # stored, not sent (a crash here resends with the same client id)
    PLACED = "placed"  # the exchange holds it
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in {LegStatus.FILLED, LegStatus.CANCELLED, LegStatus.REJECTED}
