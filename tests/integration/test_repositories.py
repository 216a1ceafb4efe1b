"""Repositories on SQLite and PostgreSQL alike: idempotent inserts, Decimal money, no commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db.models import ExchangeAccount, Order, User
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.audit import AuditRepository
from core.db.repositories.inbox import InboxRepository
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import InboxStatus, OrderSide, OrderStatus, OrderType, OutboxStatus, Role

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_get_or_create_user_is_idempotent(db: Database) -> None:
    async with db.transaction() as session:
        user, created = await UserRepository(session).get_or_create(42, username="ann")
        again, created_again = await UserRepository(session).get_or_create(42, username="ann")
    assert created and not created_again
    assert user.id == again.id
    assert user.role is Role.TRADER


async def test_repository_does_not_commit(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await UserRepository(session).get_or_create(7)
            raise RuntimeError("abort the unit of work")
    async with db.session() as session:
        assert await UserRepository(session).by_telegram_id(7) is None


async def test_money_round_trips_exactly(db: Database) -> None:
    async with db.transaction() as session:
        user, _ = await UserRepository(session).get_or_create(1)
        account = await AccountRepository(session).add(
            ExchangeAccount(user_id=user.id, exchange_id="paper", label="paper", is_paper=True)
        )
        session.add(
            Order(
                user_id=user.id,
                account_id=account.id,
                client_order_id="c-1",
                symbol="BTC/USDT",
                side=OrderSide.BUY,
                type=OrderType.LIMIT,
                amount=Decimal("0.00012345"),
                price=Decimal("65432.10"),
                status=OrderStatus.OPEN,
            )
        )
    async with db.session() as session:
        order = await session.scalar(select(Order).where(Order.client_order_id == "c-1"))
    assert order is not None
    assert order.amount == Decimal("0.00012345")
    assert str(order.price) == "65432.1"
    assert order.created_at.tzinfo is not None


async def test_inbox_drops_redelivery_and_recovers_stale(db: Database) -> None:
    async with db.transaction() as session:
        repo = InboxRepository(session)
        assert await repo.add(100, '{"update_id": 100}', lease_until=NOW + timedelta(seconds=30))
        assert not await repo.add(100, '{"update_id": 100}', lease_until=NOW)
        assert await repo.add(101, '{"update_id": 101}', lease_until=NOW + timedelta(seconds=30))
        await repo.finish(101, at=NOW, status=InboxStatus.DONE)
    async with db.transaction() as session:
        repo = InboxRepository(session)
        assert await repo.stale(NOW) == []  # still leased
        later = NOW + timedelta(seconds=31)
        assert await repo.stale(later) == [100]
        assert await repo.claim(100, later, timedelta(seconds=30)) == '{"update_id": 100}'
        assert await repo.claim(100, later, timedelta(seconds=30)) is None  # taken


async def test_outbox_dedupe_and_claim(db: Database) -> None:
    async with db.transaction() as session:
        repo = OutboxRepository(session)
        first = await repo.enqueue(5, "hello", dedupe_key="sig:1:user:5")
        again = await repo.enqueue(5, "hello", dedupe_key="sig:1:user:5")
        other = await repo.enqueue(6, "hi")
    assert first is not None and again is None and other is not None
    async with db.transaction() as session:
        repo = OutboxRepository(session)
        rows = await repo.claim_due(
            NOW + timedelta(days=9999), limit=10, lease=timedelta(seconds=30)
        )
        assert sorted(r.chat_id for r in rows) == [5, 6]
        again_rows = await repo.claim_due(
            NOW + timedelta(days=9999), limit=10, lease=timedelta(seconds=30)
        )
        assert again_rows == []  # leased
        await repo.mark_sent(first, NOW)
        assert await repo.count(OutboxStatus.SENT) == 1


async def test_audit_entries_append(db: Database) -> None:
    async with db.transaction() as session:
        users = UserRepository(session)
        admin, _ = await users.get_or_create(1, role=Role.ADMIN)
        await AuditRepository(session).add(
            "role_granted", actor_user_id=admin.id, target="2", details={"role": "admin"}
        )
    async with db.session() as session:
        entries = await AuditRepository(session).recent()
        count = await session.scalar(select(func.count()).select_from(User))
    assert [e.action for e in entries] == ["role_granted"]
    assert count == 1


async def test_health_check(db: Database) -> None:
    assert await db.health()


async def test_inbox_prune_forgets_only_old_finished_updates(db: Database) -> None:
    """Telegram restarts update ids at random after a long silence: old ids must be gone."""
    old, recent = NOW - timedelta(hours=72), NOW - timedelta(hours=1)
    async with db.transaction() as session:
        repo = InboxRepository(session)
        for update_id, received in ((1, old), (2, old), (3, recent)):
            await repo.add(update_id, "{}", lease_until=received)
            row = await repo.get(update_id)
            assert row is not None
            row.received_at = received
        await repo.finish(1, at=old, status=InboxStatus.DONE)
        await repo.finish(3, at=recent, status=InboxStatus.DONE)
    async with db.transaction() as session:
        assert await InboxRepository(session).prune(NOW - timedelta(hours=48)) == 1
    async with db.transaction() as session:
        repo = InboxRepository(session)
        assert await repo.get(1) is None  # old and done: forgotten
        assert await repo.get(2) is not None  # old but never finished: kept for recovery
        assert await repo.add(1, "{}", lease_until=NOW)  # a reused id is a new update
