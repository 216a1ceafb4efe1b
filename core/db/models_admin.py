"""The admin tools' tables (issue 12): ``broadcasts`` and ``user_activity``, and the guard that
keeps ``audit_entries`` append-only. Imported by ``core.db.models``.

- A broadcast is one row: a draft until its admin confirms it (``status`` draft -> sending ->
  done, or cancelled); its messages are outbox rows keyed ``bc:<broadcast id>:<user id>``, so
  each recipient is queued once however often Confirm is pressed, and the counts are read back
  from those rows (the outbox is the only record of what was delivered).
- ``user_activity`` holds when a user was last seen (written at most every few minutes per
  user, see ``services.admin.presence``), kept apart from ``users`` so the hot user row is not
  rewritten on every update.
- Audit entries are never updated or deleted through the ORM: flushing a change to one raises
  (the repository has no such method either; tests/bot/admin/test_audit.py proves both).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import utc_now
from core.db.base import PK, Base


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status", "status"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)  # plain text as the admin typed it
    status: Mapped[str] = mapped_column(String(16), default="draft")
    chat_id: Mapped[int] = mapped_column(BigInteger)  # where the preview and progress are
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # the progress message
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class UserActivity(Base):
    __tablename__ = "user_activity"
    __table_args__ = (Index("ix_user_activity_last_seen_at", "last_seen_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)


class AuditIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry."""


def _audit_append_only(session: Session, _context: Any, _instances: Any) -> None:
    from core.db.models import AuditEntry  # the model lives in core.db.models, which imports us

    touched = [o for o in (*session.dirty, *session.deleted) if isinstance(o, AuditEntry)]
    if any(o in session.deleted or session.is_modified(o) for o in touched):
        raise AuditIsAppendOnly("audit entries are appended, never changed or deleted")


event.listen(Session, "before_flush", _audit_append_only)
