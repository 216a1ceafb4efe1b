"""Enums shared by models and services."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    TRADER = "trader"
    VIEWER = "viewer"
    API_USER = "api_user"


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
