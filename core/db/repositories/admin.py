"""Queries of the admin tools: finding users, one user's figures, the system's counts, and
broadcasts (a draft row, its recipients, and its delivery counts read from the outbox).

Nothing here updates or deletes an audit entry; the audit has ``AuditRepository.add`` only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, func, or_, select, update

from core.db.models import (
    Broadcast,
    ExchangeAccount,
    InboxUpdate,
    Order,
    OutboxMessage,
    Signal,
    TradePlan,
    User,
    UserActivity,
)
from core.db.repositories.base import Repository
from core.domain import Access, InboxStatus, OutboxStatus, PlanStatus

OPEN_PLANS = (
    PlanStatus.AWAITING_CONFIRM,
    PlanStatus.PENDING,
    PlanStatus.OPEN,
    PlanStatus.ACTIVE,
)
BLOCKED_PREFIX = "forbidden:"  # how bot/outbox.py records a 403 on the row


def broadcast_key(broadcast_id: int, user_id: int | None = None) -> str:
    """The outbox dedupe key of one recipient's copy (or the prefix of all of them)."""
    return f"bc:{broadcast_id}:" if user_id is None else f"bc:{broadcast_id}:{user_id}"


class AdminRepository(Repository):
    async def find_users(self, query: str, *, limit: int = 500) -> list[User]:
        """Users whose @username, first name or Telegram id contain ``query`` (all if empty),
        newest first."""
        stmt = select(User).order_by(User.id.desc()).limit(limit)
        needle = query.strip().lstrip("@").lower()
        if needle:
            pattern = f"%{needle}%"
            stmt = stmt.where(
                or_(
                    func.lower(User.username).like(pattern),
                    func.lower(User.first_name).like(pattern),
                    cast(User.telegram_id, String).like(pattern),
                )
            )
        return list(await self._session.scalars(stmt))

    async def last_seen(self, user_ids: list[int]) -> dict[int, datetime]:
        if not user_ids:
            return {}
        rows = await self._session.execute(
            select(UserActivity.user_id, UserActivity.last_seen_at).where(
                UserActivity.user_id.in_(user_ids)
            )
        )
        return {user_id: seen for user_id, seen in rows}

    async def touch(self, user_id: int, at: datetime) -> None:
        """Record that the user was seen at ``at`` (an upsert)."""
        updated = await self._session.execute(
            update(UserActivity).where(UserActivity.user_id == user_id).values(last_seen_at=at)
        )
        if not getattr(updated, "rowcount", 0):
            await self.insert_many_ignore(
                UserActivity, [{"user_id": user_id, "last_seen_at": at}], ["user_id"]
            )

    async def accounts_of(self, user_id: int) -> int:
        return await self._count(
            select(func.count())
            .select_from(ExchangeAccount)
            .where(ExchangeAccount.user_id == user_id, ExchangeAccount.is_active.is_(True))
        )

    async def open_plans_of(self, user_id: int) -> int:
        return await self._count(
            select(func.count())
            .select_from(TradePlan)
            .where(TradePlan.user_id == user_id, TradePlan.status.in_(OPEN_PLANS))
        )

    async def system_counts(self, since: datetime) -> dict[str, int]:
        """The figures of the admins' /stats, ``since`` being the start of today."""
        parsed_by = await self._session.execute(
            select(Signal.parser, func.count())
            .where(Signal.first_seen_at >= since)
            .group_by(Signal.parser)
        )
        by_parser = {str(parser): int(n) for parser, n in parsed_by}
        return {
            "users": await self._count(select(func.count()).select_from(User)),
            "active_today": await self._count(
                select(func.count())
                .select_from(UserActivity)
                .where(UserActivity.last_seen_at >= since)
            ),
            "signals_today": sum(by_parser.values()),
            "signals_by_rules": by_parser.get("rules", 0),
            "plans_open": await self._count(
                select(func.count()).select_from(TradePlan).where(TradePlan.status.in_(OPEN_PLANS))
            ),
            "orders_today": await self._count(
                select(func.count()).select_from(Order).where(Order.created_at >= since)
            ),
            "outbox_pending": await self._count(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
            ),
            "outbox_failed_today": await self._count(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    OutboxMessage.created_at >= since,
                )
            ),
            "inbox_pending": await self._count(
                select(func.count())
                .select_from(InboxUpdate)
                .where(InboxUpdate.status == InboxStatus.PENDING)
            ),
            "inbox_failed": await self._count(
                select(func.count())
                .select_from(InboxUpdate)
                .where(InboxUpdate.status == InboxStatus.FAILED)
            ),
        }

    # -- broadcasts ------------------------------------------------------------------------

    async def add_broadcast(self, actor_user_id: int, text: str, chat_id: int) -> Broadcast:
        row = Broadcast(actor_user_id=actor_user_id, text=text, chat_id=chat_id, status="draft")
        self._session.add(row)
        await self._session.flush()
        return row

    async def broadcast(self, broadcast_id: int, *, lock: bool = False) -> Broadcast | None:
        """One broadcast; ``lock`` holds its row until the transaction ends (PostgreSQL), so
        two presses of Confirm are taken one after the other."""
        return await self._session.get(Broadcast, broadcast_id, with_for_update=lock or None)

    async def broadcasts_sending(self) -> list[Broadcast]:
        """The broadcasts being sent; on PostgreSQL each is locked for the transaction and one
        another process holds is skipped (so one process at a time finishes it)."""
        stmt = select(Broadcast).where(Broadcast.status == "sending").order_by(Broadcast.id)
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(await self._session.scalars(stmt))

    async def recipients(self) -> list[tuple[int, int]]:
        """(user id, Telegram id) of everyone a broadcast goes to: let in, not banned, and not
        known to have blocked the bot (the outbox marks those inactive on a 403)."""
        rows = await self._session.execute(
            select(User.id, User.telegram_id)
            .where(
                User.is_active.is_(True),
                User.is_banned.is_(False),
                User.access == Access.GRANTED,
            )
            .order_by(User.id)
        )
        return [(user_id, telegram_id) for user_id, telegram_id in rows]

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        """pending / delivered / blocked / failed copies of one broadcast."""
        kind = case(
            (OutboxMessage.status == OutboxStatus.PENDING, "pending"),
            (OutboxMessage.status == OutboxStatus.SENT, "delivered"),
            (OutboxMessage.error.like(f"{BLOCKED_PREFIX}%"), "blocked"),
            else_="failed",
        )
        rows = await self._session.execute(
            select(kind, func.count())
            .where(OutboxMessage.dedupe_key.like(f"{broadcast_key(broadcast_id)}%"))
            .group_by(kind)
        )
        counts = {"pending": 0, "delivered": 0, "blocked": 0, "failed": 0}
        counts.update({str(name): int(n) for name, n in rows})
        return counts

    async def _count(self, stmt: Any) -> int:
        return int(await self._session.scalar(stmt) or 0)
