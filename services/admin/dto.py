"""What the admin services return: frozen data, no ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.dto import UserView
from services.signal_dto import SourceView


@dataclass(frozen=True, slots=True)
class UserCard:
    """``/user``: one user and their figures."""

    user: UserView
    registered_at: datetime
    last_seen: datetime | None  # None: never seen writing (or not since we record it)
    accounts: int
    open_plans: int


@dataclass(frozen=True, slots=True)
class UserChange:
    """The outcome of ``/role``, ``/ban``, ``/unban``: ``changed`` False is a no-op (nothing
    written, nothing audited); ``created`` means the id was unknown and a row was made for it."""

    user: UserView
    changed: bool
    created: bool = False
    before: str = ""  # the previous role, for /role


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One audit entry in words: who did what to whom (names as they are now, falling back to
    the ids the entry holds)."""

    created_at: datetime
    actor: str  # "the operator (CLI)" when no user did it
    action: str
    target: str  # a user's name and id, a channel by @name, or the raw target
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SystemStats:
    """The admins' ``/stats``: today is the UTC day; the process figures are since it started."""

    users: int
    active_today: int
    signals_today: int
    parser_fallback_rate: float | None  # share of today's signals not read by the rules
    plans_open: int
    orders_today: int
    errors: int  # updates that ended in an error, in this process
    outbox_pending: int
    outbox_failed_today: int
    inbox_pending: int
    inbox_failed: int
    p99_seconds: float | None  # upper bound of the bucket holding the 99th percentile
    handled: int  # updates timed in this process


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    """A broadcast as it stands: a draft, sending, done or cancelled, and its copies' fate."""

    id: int
    text: str  # plain text, exactly what every recipient reads
    status: str
    chat_id: int
    message_id: int | None
    recipients: int
    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def settled(self) -> int:
        return self.delivered + self.blocked + self.failed


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A source in the admins' view: its state and who owns it."""

    source: SourceView
    owner: str | None  # the owner's name, None when nobody owns it
    state: str  # "pending approval", "active", "paused", "removed"
