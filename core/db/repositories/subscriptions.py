"""Subscriptions: a user following a source, unique on (user, source)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select

from core.db.models import Source, Subscription, User
from core.db.repositories.base import Repository
from core.domain import SubscriptionMode


class SubscriptionRepository(Repository):
    async def get(self, user_id: int, source_id: int) -> Subscription | None:
        return await self._session.scalar(
            select(Subscription).where(
                Subscription.user_id == user_id, Subscription.source_id == source_id
            )
        )

    async def upsert(
        self,
        user_id: int,
        source_id: int,
        *,
        mode: SubscriptionMode,
        order_size_quote: Decimal | None,
        now: datetime,
        settings: dict[str, Any] | None = None,
    ) -> tuple[Subscription, bool]:
        """Create or change the subscription; return it and whether it was created.
        ``now`` (the service clock) is its creation time: auto-trading compares it with the
        time a signal became active. ``settings`` (FollowSettings JSON) replaces the stored
        ones when given."""
        new_id = await self.insert_ignore(
            Subscription,
            {
                "user_id": user_id,
                "source_id": source_id,
                "mode": mode,
                "order_size_quote": order_size_quote,
                "created_at": now,
                "updated_at": now,
            },
            conflict=["user_id", "source_id"],
        )
        subscription = await self.get(user_id, source_id)
        assert subscription is not None  # inserted or already there
        subscription.mode = mode
        subscription.order_size_quote = order_size_quote
        if settings is not None:
            subscription.settings = settings
        return subscription, new_id is not None

    async def owned(self, user_id: int, source_id: int) -> tuple[Subscription, Source] | None:
        """The user's subscription to ``source_id`` with its source, locked for a change (None
        when the user does not follow it): keyed by the caller, so a button can only ever
        reach the caller's own subscription."""
        row = (
            await self._session.execute(
                select(Subscription, Source)
                .join(Source, Source.id == Subscription.source_id)
                .where(Subscription.user_id == user_id, Subscription.source_id == source_id)
                .with_for_update(of=Subscription)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def remove(self, user_id: int, source_id: int) -> bool:
        result = await self._session.execute(
            delete(Subscription).where(
                Subscription.user_id == user_id, Subscription.source_id == source_id
            )
        )
        # a DELETE's result is a CursorResult, which has rowcount; execute() is typed Result
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def of_user(self, user_id: int) -> list[tuple[Subscription, Source]]:
        rows = await self._session.execute(
            select(Subscription, Source)
            .join(Source, Source.id == Subscription.source_id)
            .where(Subscription.user_id == user_id)
            .order_by(Source.id)
        )
        return [(sub, source) for sub, source in rows]

    async def followers(self, source_id: int) -> list[tuple[Subscription, User]]:
        """Active, unbanned users following ``source_id``, with their subscription."""
        rows = await self._session.execute(
            select(Subscription, User)
            .join(User, User.id == Subscription.user_id)
            .where(
                Subscription.source_id == source_id,
                User.is_banned.is_(False),
                User.is_active.is_(True),
            )
            .order_by(Subscription.id)
        )
        return [(sub, user) for sub, user in rows]
