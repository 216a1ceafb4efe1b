"""/users, /user, /role (and /grant), /ban, /unban through the real dispatcher: the answers,
the no-op rule, and one rule for ids the bot has never seen (acted on, for every command)."""

from __future__ import annotations

from sqlalchemy import insert

from bot.app import App
from core.db.models import User
from core.domain import Access, Role
from tests.bot.admin.helpers import (
    audit_count,
    buttons,
    press,
    say,
    user_row,
    with_roles,
)
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory
from tests.fakes.telegram_api import FakeTelegramAPI

STRANGER = 999_999


async def test_users_are_listed_a_page_at_a_time_and_searched(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    async with app.db.transaction() as session:
        await session.execute(
            insert(User),
            [
                {"telegram_id": 50_000 + n, "username": f"crowd{n:02}", "role": Role.TRADER}
                for n in range(25)
            ],
        )
    first = await say(app, telegram_api, ADMIN_ID, "/users")
    assert "page 1 of 3" in first and "@crowd24 (50024) · trader" in first
    listing = telegram_api.messages(ADMIN_ID)[-1]
    assert set(buttons(listing)) == {"▶"}
    await press(app, telegram_api, ADMIN_ID, listing, buttons(listing)["▶"])
    second = telegram_api.messages(ADMIN_ID)[-1]
    assert "page 2 of 3" in second["text"] and set(buttons(second)) == {"◀", "▶"}
    found = await say(app, telegram_api, ADMIN_ID, "/users crowd1")
    assert found.count("@crowd1") == 10  # crowd1, crowd10 .. crowd19 (one page, no buttons)
    assert not buttons(telegram_api.messages(ADMIN_ID)[-1])
    assert "No users matching" in await say(app, telegram_api, ADMIN_ID, "/users nobody<b>")


async def test_user_card_shows_role_ban_accounts_plans_and_last_seen(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    card = await say(app, telegram_api, ADMIN_ID, f"/user {TRADER_ID}")
    assert f"@u{TRADER_ID} ({TRADER_ID})" in card
    for line in ("Role: trader", "Banned: no", "Exchange accounts: 0", "Open plans: 0"):
        assert line in card, card
    assert "Last seen: 20" in card and "UTC" in card  # they wrote /start
    unknown = await say(app, telegram_api, ADMIN_ID, f"/user {STRANGER}")
    assert "No user with Telegram id 999999" in unknown
    assert "Usage: /user" in await say(app, telegram_api, ADMIN_ID, "/user")


async def test_role_change_is_audited_once_and_a_repeat_says_nothing_changed(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    before = await audit_count(app)
    reply = await say(app, telegram_api, ADMIN_ID, f"/role {TRADER_ID} viewer")
    assert reply == f"@u{TRADER_ID} ({TRADER_ID}) is now viewer (was trader)."
    assert await audit_count(app) == before + 1
    again = await say(app, telegram_api, ADMIN_ID, f"/role {TRADER_ID} VIEWER")
    assert again == f"@u{TRADER_ID} ({TRADER_ID}) is already viewer: nothing changed."
    alias = await say(app, telegram_api, ADMIN_ID, f"/grant {TRADER_ID} viewer")
    assert "nothing changed" in alias
    assert await audit_count(app) == before + 1
    assert "now trader" in await say(app, telegram_api, ADMIN_ID, f"/grant {TRADER_ID} trader")
    assert await audit_count(app) == before + 2
    refused = await say(app, telegram_api, ADMIN_ID, f"/role {ADMIN_ID} viewer")
    assert "cannot demote yourself" in refused
    assert "Unknown role" in await say(app, telegram_api, ADMIN_ID, f"/role {TRADER_ID} king")


async def test_a_second_ban_and_an_unban_of_nobody_banned_change_nothing(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await with_roles(app, telegram_api)
    before = await audit_count(app)
    assert "is banned." in await say(app, telegram_api, ADMIN_ID, f"/ban {TRADER_ID}")
    again = await say(app, telegram_api, ADMIN_ID, f"/ban {TRADER_ID}")
    assert "already banned: nothing changed" in again
    assert await audit_count(app) == before + 1
    assert "no longer banned" in await say(app, telegram_api, ADMIN_ID, f"/unban {TRADER_ID}")
    again = await say(app, telegram_api, ADMIN_ID, f"/unban {TRADER_ID}")
    assert "not banned: nothing changed" in again
    assert await audit_count(app) == before + 2


async def test_unknown_ids_are_acted_on_by_every_command(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """One rule: /ban, /role and /grant on an id that never wrote work (a row holds the
    decision, applied when they write); lifting a ban nobody has changes nothing."""
    await with_roles(app, telegram_api)
    before = await audit_count(app)
    banned = await say(app, telegram_api, ADMIN_ID, f"/ban {STRANGER}")
    assert banned.startswith(f"{STRANGER} is banned.") and "not written" in banned
    assert "already banned" in await say(app, telegram_api, ADMIN_ID, f"/ban {STRANGER}")
    assert await audit_count(app) == before + 1
    await say(app, telegram_api, STRANGER, "/start")
    assert "banned" in telegram_api.messages(STRANGER)[-1]["text"]
    nobody = await say(app, telegram_api, ADMIN_ID, "/unban 888888")
    assert nobody == "888888 is not banned: nothing changed."
    assert await user_row(app, 888_888) is None
    granted = await say(app, telegram_api, ADMIN_ID, "/role 5555 admin")
    assert granted.startswith("User 5555 is now admin.") and "not written" in granted
    assert await audit_count(app) == before + 2
    row = await user_row(app, 5555)
    assert row is not None and row.role is Role.ADMIN and row.access is Access.GRANTED


async def test_lifting_a_ban_on_a_stranger_does_not_let_them_in_when_registration_is_closed(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(access={"registration": "closed"})
    await say(app, telegram_api, ADMIN_ID, "/start")
    await say(app, telegram_api, ADMIN_ID, f"/ban {STRANGER}")
    await say(app, telegram_api, ADMIN_ID, f"/unban {STRANGER}")
    row = await user_row(app, STRANGER)
    assert row is not None and not row.is_banned and row.access is Access.REFUSED
    await say(app, telegram_api, STRANGER, "/whoami")
    assert "Telegram id" not in " ".join(m["text"] for m in telegram_api.messages(STRANGER))
    await say(app, telegram_api, ADMIN_ID, f"/role {STRANGER} viewer")  # how to let them in
    assert "Telegram id" in await say(app, telegram_api, STRANGER, "/whoami")


async def test_admin_ids_stay_admins(app: App, telegram_api: FakeTelegramAPI) -> None:
    """ADMIN_IDS are made admins again whenever they write: demoting or banning one in chat
    (even before they ever wrote) is refused with the reason, and nothing is written."""
    await with_roles(app, telegram_api)
    await app.users.grant_role(None, 4321, Role.ADMIN)
    other = await user_row(app, 4321)
    assert other is not None
    before = await audit_count(app)
    for command in (f"/ban {ADMIN_ID}", f"/role {ADMIN_ID} trader"):
        reply = await say(app, telegram_api, 4321, command)
        assert "ADMIN_IDS" in reply, reply
    assert await audit_count(app) == before
