"""The admin services on SQLite (the default) as on PostgreSQL: roles, bans, last seen,
broadcast queueing and counts, the system figures and the audit in words."""

from __future__ import annotations

from sqlalchemy import select

from core.db.models import OutboxMessage
from core.db.session import Database
from core.domain import OutboxStatus, Role
from services.admin.audit import AuditService
from services.admin.broadcast import BroadcastService
from services.admin.stats import SystemStatsService
from services.admin.users import AdminUserService
from services.users import UserService


async def test_admin_services_work_on_both_databases(db: Database) -> None:
    users = UserService(db, admin_ids=[1])
    admin, _ = await users.ensure(1, "boss", "Boss")
    trader, _ = await users.ensure(2, "alice", "Alice")
    assert admin is not None and trader is not None
    admin_users = AdminUserService(db, users)
    await admin_users.seen(trader)
    await admin_users.seen(trader)  # throttled: one write
    assert [u.telegram_id for u in await admin_users.find(admin, "ALI")] == [2]
    assert [u.telegram_id for u in await admin_users.find(admin, "2")] == [2]
    change = await admin_users.set_role(admin, 2, Role.VIEWER)
    assert change.changed and change.before == "trader"
    assert not (await admin_users.set_role(admin, 2, Role.VIEWER)).changed
    assert (await admin_users.set_banned(admin, 3, True)).created
    card = await admin_users.card(admin, 2)
    assert card.user.role is Role.VIEWER and card.last_seen is not None
    broadcasts = BroadcastService(db)
    draft = await broadcasts.draft(admin, "a <b> & c", chat_id=1)
    assert draft.recipients == 2  # the banned row is left out
    await broadcasts.confirm(admin, draft.id, message_id=7)
    async with db.transaction() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [r.text for r in rows] == ["a &lt;b&gt; &amp; c"] * 2
        rows[0].status = OutboxStatus.SENT
        rows[1].status, rows[1].error = OutboxStatus.FAILED, "forbidden: blocked"
    [done] = await broadcasts.sending()
    assert (done.status, done.delivered, done.blocked, done.failed) == ("done", 1, 1, 0)
    assert await broadcasts.sending() == []
    stats = await SystemStatsService(db).stats(admin)
    assert (stats.users, stats.active_today, stats.signals_today) == (3, 1, 0)
    lines = await AuditService(db).recent(admin)
    assert [line.action for line in lines] == ["broadcast_sent", "user_banned", "role_granted"]
    assert lines[2].target == "@alice (2)" and lines[2].details["to"] == "viewer"
