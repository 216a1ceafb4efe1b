"""``/broadcast``: one message to every user, through the outbox, with a progress count.

Life of a broadcast (``core.db.models_admin.Broadcast``):

1. ``draft``: the admin's text (plain text, escaped when queued) is stored and shown back as
   a preview with Confirm and Cancel. Only the admin who wrote it may confirm or cancel it.
2. ``confirm``: the draft becomes ``sending`` (a compare-and-set, so a double press sends
   once) and one outbox row per recipient is queued in the same transaction, keyed
   ``bc:<broadcast>:<user>`` (a recipient is queued once, ever). Recipients are the users let
   in, not banned and not known to have blocked the bot. The outbox sender delivers them within
   Telegram's limits (bot/outbox.py: the global and per-chat budgets, 429 ``retry_after``) and
   marks a user who blocked the bot (403) inactive, so the next broadcast skips them.
3. ``progress``: the counts are read back from the outbox rows (delivered, blocked = failed
   with a 403, failed = any other failure for good); when none is pending the broadcast is
   ``done`` and its counts are stored on it.

Confirm and cancel are audited. The text fits one Telegram message, so each recipient gets
exactly one row.
"""

from __future__ import annotations

import html
from typing import Final

from core.clock import Clock, utc_now
from core.db.models_admin import Broadcast
from core.db.repositories.admin import AdminRepository, broadcast_key
from core.db.repositories.audit import AuditRepository
from core.db.repositories.outbox import OutboxRepository
from core.db.session import Database
from core.errors import Forbidden, NotFound, UserError
from services.admin.dto import BroadcastProgress
from services.admin.users import require_admin
from services.dto import UserView

MAX_TEXT: Final = 3500  # the escaped text still fits one message with room to spare
NO_SUCH: Final = "No such broadcast."


def _progress(row: Broadcast, counts: dict[str, int] | None = None) -> BroadcastProgress:
    counts = counts or {"delivered": row.delivered, "blocked": row.blocked, "failed": row.failed}
    return BroadcastProgress(
        id=row.id,
        text=row.text,
        status=row.status,
        chat_id=row.chat_id,
        message_id=row.message_id,
        recipients=row.recipients,
        delivered=counts["delivered"],
        blocked=counts["blocked"],
        failed=counts["failed"],
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class BroadcastService:
    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def draft(self, actor: UserView | None, text: str, chat_id: int) -> BroadcastProgress:
        """Store a draft of ``text`` (plain text, sent as typed) for its admin to confirm."""
        admin = require_admin(actor)
        text = text.strip()
        if not text:
            raise UserError("Usage: /broadcast <text>: the message every user gets.")
        if len(text) > MAX_TEXT:
            raise UserError(f"A broadcast is at most {MAX_TEXT} characters; this is {len(text)}.")
        async with self._db.transaction() as session:
            repo = AdminRepository(session)
            row = await repo.add_broadcast(admin.id, text, chat_id)
            row.recipients = len(await repo.recipients())
            return _progress(row)

    async def confirm(
        self, actor: UserView | None, broadcast_id: int, message_id: int | None
    ) -> BroadcastProgress:
        """Send a draft: queue a copy for every recipient; ``message_id`` is the message that
        shows the progress. UserError when it was sent or cancelled already."""
        admin = require_admin(actor)
        async with self._db.transaction() as session:
            repo = AdminRepository(session)
            row = await self._own_draft(repo, admin, broadcast_id)
            people = await repo.recipients()
            row.status, row.started_at = "sending", self._clock()
            row.message_id, row.recipients = message_id, len(people)
            await OutboxRepository(session).enqueue_many(
                [
                    {
                        "chat_id": telegram_id,
                        "text": html.escape(row.text, quote=False),  # sent as typed
                        "dedupe_key": broadcast_key(row.id, user_id),
                        "user_id": user_id,
                    }
                    for user_id, telegram_id in people
                ]
            )
            await AuditRepository(session).add(
                "broadcast_sent",
                actor_user_id=admin.id,
                target=str(row.id),
                details={"recipients": len(people), "characters": len(row.text)},
            )
            return _progress(row)

    async def cancel(self, actor: UserView | None, broadcast_id: int) -> BroadcastProgress:
        admin = require_admin(actor)
        async with self._db.transaction() as session:
            row = await self._own_draft(AdminRepository(session), admin, broadcast_id)
            row.status, row.finished_at = "cancelled", self._clock()
            await AuditRepository(session).add(
                "broadcast_cancelled", actor_user_id=admin.id, target=str(row.id)
            )
            return _progress(row)

    async def sending(self) -> list[BroadcastProgress]:
        """Every broadcast being sent, with its counts now; one with nothing left pending is
        marked done (its counts stored) and returned with status ``done``, once."""
        async with self._db.transaction() as session:
            repo = AdminRepository(session)
            found = []
            for row in await repo.broadcasts_sending():
                counts = await repo.broadcast_counts(row.id)
                if counts["pending"] == 0:
                    row.status, row.finished_at = "done", self._clock()
                    row.delivered, row.blocked = counts["delivered"], counts["blocked"]
                    row.failed = counts["failed"]
                found.append(_progress(row, counts))
            return found

    async def get(self, actor: UserView | None, broadcast_id: int) -> BroadcastProgress:
        require_admin(actor)
        async with self._db.session() as session:
            row = await AdminRepository(session).broadcast(broadcast_id)
            if row is None:
                raise NotFound(NO_SUCH)
            return _progress(row)

    @staticmethod
    async def _own_draft(repo: AdminRepository, admin: UserView, broadcast_id: int) -> Broadcast:
        row = await repo.broadcast(broadcast_id, lock=True)
        if row is None:
            raise NotFound(NO_SUCH)
        if row.actor_user_id != admin.id:
            raise Forbidden("Only the admin who wrote this broadcast can send or cancel it.")
        if row.status != "draft":
            done = "cancelled" if row.status == "cancelled" else "sent"
            raise UserError(f"Broadcast #{row.id} was {done} already.")
        return row
