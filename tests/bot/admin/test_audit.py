"""The audit trail: every admin action leaves one entry, /audit reads them in words, and the
entries are append-only (no code path changes or deletes one)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bot.app import App
from core.db.models import AuditEntry
from core.db.models_admin import AuditIsAppendOnly
from core.db.repositories.audit import AuditRepository
from core.db.repositories.base import Repository
from tests.bot.admin.helpers import buttons, press, say, with_roles
from tests.bot.conftest import ADMIN_ID, TRADER_ID
from tests.bot.signals.test_intake import CHANNEL, register
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[3]


async def test_audit_names_who_did_what_to_whom(app: App, telegram_api: FakeTelegramAPI) -> None:
    await with_roles(app, telegram_api)
    await register(app, telegram_api, approve=False)
    await say(app, telegram_api, ADMIN_ID, f"/role {TRADER_ID} viewer")
    await say(app, telegram_api, ADMIN_ID, f"/ban {TRADER_ID}")
    await say(app, telegram_api, ADMIN_ID, "/sources")
    listing = telegram_api.messages(ADMIN_ID)[-1]
    await press(app, telegram_api, ADMIN_ID, listing, buttons(listing)["#1 Remove"])
    text = await say(app, telegram_api, ADMIN_ID, "/audit")
    lines = text.splitlines()  # as the user sees it (the markup parsed away)
    assert lines[0] == "Audit trail (newest first)"
    moment = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
    assert re.fullmatch(
        rf"{moment} @boss removed Alpha {CHANNEL} \(pending approval → removed\)", lines[1]
    ), lines
    assert re.fullmatch(rf"{moment} @boss banned @u{TRADER_ID} \({TRADER_ID}\)", lines[2])
    assert re.fullmatch(
        rf"{moment} @boss set the role of @u{TRADER_ID} \({TRADER_ID}\) \(trader → viewer\)",
        lines[3],
    )
    assert any(f"registered Alpha {CHANNEL}" in line for line in lines)
    assert any(re.search(rf"registered Alpha {CHANNEL}", line) for line in lines)


def test_the_audit_repository_can_only_add_and_read() -> None:
    own = {
        name
        for name, _ in inspect.getmembers(AuditRepository, inspect.isfunction)
        if not name.startswith("__") and not hasattr(Repository, name)
    }
    assert own == {"add", "recent"}


def test_no_code_updates_or_deletes_audit_entries() -> None:
    pattern = re.compile(
        r"(update|delete)\(\s*AuditEntry|UPDATE\s+audit_entries|DELETE\s+FROM\s+audit_entries",
        re.I,
    )
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("api", "bot", "core", "handlers", "services")
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


async def test_changing_or_deleting_an_audit_entry_is_refused(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    await say(app, telegram_api, ADMIN_ID, f"/ban {TRADER_ID}")
    with pytest.raises(AuditIsAppendOnly):
        async with app.db.transaction() as session:
            entry = await session.scalar(select(AuditEntry).limit(1))
            assert entry is not None
            entry.action = "nothing_happened"
    with pytest.raises(AuditIsAppendOnly):
        async with app.db.transaction() as session:
            entry = await session.scalar(select(AuditEntry).limit(1))
            await session.delete(entry)
    async with app.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "user_banned" in actions and "nothing_happened" not in actions


async def test_postgresql_refuses_an_update_of_an_audit_entry(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """Whatever the client: the trigger made with the table (the app runs on PostgreSQL here).
    Deleting the actor's user row still works: the entry keeps everything but the actor."""
    await with_roles(app, telegram_api)
    await say(app, telegram_api, ADMIN_ID, f"/ban {TRADER_ID}")
    with pytest.raises(DBAPIError, match="append-only"):
        async with app.db.transaction() as session:
            await session.execute(text("UPDATE audit_entries SET action = 'nothing_happened'"))
    async with app.db.transaction() as session:
        await session.execute(text("DELETE FROM users WHERE telegram_id = :t"), {"t": ADMIN_ID})
    async with app.db.session() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "user_banned"))
    assert entry is not None and entry.actor_user_id is None and entry.target == str(TRADER_ID)
