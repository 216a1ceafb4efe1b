"""The admins' /stats with no source (the system's figures; a usage hint for everyone else,
whose /stats <source> is unchanged) and the admins' /sources view with its buttons."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from core.db.models import AuditEntry, Source
from tests.bot.admin.helpers import ROLES, audit_count, buttons, press, say, with_roles
from tests.bot.conftest import ADMIN_ID, TRADER_ID
from tests.bot.signals.test_intake import CHANNEL, ENTRY, OWNER_ID, post, register
from tests.fakes.telegram_api import FakeTelegramAPI


async def test_admin_stats_show_the_system_and_others_get_a_hint(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    await register(app, telegram_api)
    await post(app, telegram_api, ENTRY)
    text = await say(app, telegram_api, ADMIN_ID, "/stats")
    assert text.startswith("System (today is the UTC day)")
    assert "Users: 5, active today: 5" in text  # the owner's adding the bot counts too
    assert "Signals today: 1; parser fallback (AI): 0% of today's signals" in text
    assert "Plans open: 0; orders today: 0" in text
    assert "Outbox: " in text and "Inbox: " in text and "p99 handling time ≤ " in text
    for telegram_id in ROLES:
        hint = await say(app, telegram_api, telegram_id, "/stats")
        assert "System" not in hint
    assert "Usage: /stats <source>" in await say(app, telegram_api, TRADER_ID, "/stats")
    assert "Alpha" in await say(app, telegram_api, TRADER_ID, "/stats 1")


async def source_state(app: App) -> tuple[bool, bool]:
    async with app.db.session() as session:
        source = await session.scalar(select(Source))
    assert source is not None
    return source.is_active, source.approved


async def test_admins_manage_sources_from_their_sources_view(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    await register(app, telegram_api, approve=False)
    listing_text = await say(app, telegram_api, ADMIN_ID, "/sources")
    assert "Sources (admin view)" in listing_text and "not approved yet" in listing_text
    assert f"owner User{OWNER_ID}" in listing_text
    listing = telegram_api.messages(ADMIN_ID)[-1]
    assert set(buttons(listing)) == {"#1 Approve", "#1 Remove"}
    assert await press(app, telegram_api, ADMIN_ID, listing, buttons(listing)["#1 Approve"]) == (
        "Done."
    )
    assert await source_state(app) == (True, True)
    listing = telegram_api.messages(ADMIN_ID)[-1]
    assert set(buttons(listing)) == {"#1 Pause", "#1 Remove"} and "active" in listing["text"]
    pause = buttons(listing)["#1 Pause"]
    await press(app, telegram_api, ADMIN_ID, listing, pause)
    assert await source_state(app) == (False, True)
    before = await audit_count(app)
    again = await press(app, telegram_api, ADMIN_ID, listing, pause)  # an old button, pressed
    assert again == "Nothing changed: it was so already." and await audit_count(app) == before
    assert "not allowed" in await press(app, telegram_api, TRADER_ID, listing, pause)
    listing = telegram_api.messages(ADMIN_ID)[-1]
    await press(app, telegram_api, ADMIN_ID, listing, buttons(listing)["#1 Resume"])
    assert await source_state(app) == (True, True)
    removed = await say(app, telegram_api, ADMIN_ID, "/source remove 1")
    assert "I stopped reading" in removed and await source_state(app) == (False, False)
    again_text = await say(app, telegram_api, ADMIN_ID, f"/source remove {CHANNEL}")
    assert "removed already: nothing changed" in again_text
    assert "No sources yet" in await say(app, telegram_api, TRADER_ID, "/sources")
    async with app.db.session() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("source_%"))
            )
        )
        assert await session.scalar(select(func.count()).select_from(Source)) == 1
    assert actions.count("source_removed") == 1 and actions.count("source_paused") == 1
