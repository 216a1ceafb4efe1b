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
  (the repository has no such method either; tests/bot/admin/test_audit.py proves both). On
  PostgreSQL a trigger refuses any UPDATE of an entry too, whatever the client, except the
  foreign key's own ``ON DELETE SET NULL`` of the actor; it is created with the table (a
  listener on every ``Table``'s ``after_create``, which alembic's ``op.create_table`` fires as
  ``create_all`` does), so the generated migration needs nothing by hand. DELETE is left to the
  code rules above: the test suite empties every table between tests with DELETE.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Table, Text, event, text
from sqlalchemy.engine import Connection
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


APPEND_ONLY_SQL: Final = (
    """
    CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        -- the one change allowed: the actor's row was deleted (ON DELETE SET NULL)
        IF NEW.actor_user_id IS NULL AND OLD.actor_user_id IS NOT NULL
           AND ROW(NEW.id, NEW.action, NEW.target, NEW.details::text, NEW.created_at)
               IS NOT DISTINCT FROM
               ROW(OLD.id, OLD.action, OLD.target, OLD.details::text, OLD.created_at) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
)


def _append_only_on_postgresql(table: Table, connection: Connection, **_: Any) -> None:
    if table.name == "audit_entries" and connection.dialect.name == "postgresql":
        for sql in APPEND_ONLY_SQL:
            connection.execute(text(sql))


event.listen(Table, "after_create", _append_only_on_postgresql)
