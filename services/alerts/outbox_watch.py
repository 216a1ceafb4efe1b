"""The stuck-outbox check: Telegram messages queued long ago and still unsent mean the sender
is down, Telegram refuses the bot, or the token was revoked; the chat cannot tell the admins
that, so ``OutboxWatch`` tells them by e-mail (through ``AdminAlerts``, deduplicated).

A row counts as stuck when it is ``pending`` and was queued more than ``stuck_after`` ago
(a row deferred by Telegram's rate limits is normally sent within seconds or minutes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select

from core.clock import Clock, utc_now
from core.db.models import OutboxMessage
from core.db.session import Database
from core.domain import OutboxStatus
from services.alerts.service import AdminAlerts

log = structlog.get_logger(__name__)

__all__ = ["OutboxWatch"]


class OutboxWatch:
    def __init__(
        self, db: Database, alerts: AdminAlerts, stuck_after: timedelta, clock: Clock = utc_now
    ) -> None:
        self._db = db
        self._alerts = alerts
        self._stuck_after = stuck_after
        self._clock = clock

    async def stuck(self) -> tuple[int, datetime | None]:
        """How many rows are stuck, and when the oldest was queued."""
        cutoff = self._clock() - self._stuck_after
        async with self._db.transaction() as session:
            row = (
                await session.execute(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.created_at < cutoff,
                    )
                )
            ).one()
        return int(row[0] or 0), row[1]

    async def check(self) -> int:
        """Alert when rows are stuck; returns how many are."""
        count, oldest = await self.stuck()
        if count and oldest is not None:
            log.error("outbox_stuck", count=count, oldest=oldest.isoformat())
            self._alerts.outbox_stuck(count, oldest)
        return count
