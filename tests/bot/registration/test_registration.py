"""Who gets in (REGISTRATION=open|approval|closed, DEFAULT_ROLE), through the whole chain to the
fake Bot API: a stranger's role, the waiting room and the admins' Approve / Refuse buttons,
and a closed bot that still lets ADMIN_IDS in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry, User
from core.domain import Access, Role
from handlers.access_render import CLOSED_NOTICE, PENDING_NOTICE, REFUSED_NOTICE
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory, drain_outbox, feed
from tests.fakes.telegram_api import FakeTelegramAPI

STRANGER_ID = 7007


async def say(app: App, telegram_api: FakeTelegramAPI, user_id: int, text: str) -> None:
    await feed(app, telegram_api.updates.message(user_id, text))


async def stored(app: App, telegram_id: int) -> User | None:
    async with app.db.session() as session:
        return await session.scalar(select(User).where(User.telegram_id == telegram_id))


def texts(telegram_api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [str(m["text"]) for m in telegram_api.messages(chat_id)]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def newcomer_notice(
    app: App, telegram_api: FakeTelegramAPI, admin_id: int = ADMIN_ID
) -> dict[str, Any]:
    await drain_outbox(app)
    [notice] = [m for m in telegram_api.messages(admin_id) if "wants to use" in str(m["text"])]
    return notice


# -- open -------------------------------------------------------------------------------------


async def test_open_lets_a_stranger_in_as_trader_by_default(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(app, telegram_api, STRANGER_ID, "/start")
    assert texts(telegram_api, STRANGER_ID)[-1].startswith("Welcome")
    user = await stored(app, STRANGER_ID)
    assert user is not None and (user.role, user.access) == (Role.TRADER, Access.GRANTED)


async def test_open_with_default_role_viewer_makes_viewers(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(access={"default_role": "viewer"})
    await say(app, telegram_api, STRANGER_ID, "/start")
    user = await stored(app, STRANGER_ID)
    assert user is not None and user.role is Role.VIEWER
    await say(app, telegram_api, STRANGER_ID, "/buy BTC/USDT 0.01")
    assert "not allowed" in texts(telegram_api, STRANGER_ID)[-1]


# -- approval ---------------------------------------------------------------------------------


async def test_approval_keeps_a_stranger_waiting_until_an_admin_approves(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(access={"registration": "approval"})
    await say(app, telegram_api, ADMIN_ID, "/start")  # the admin is known to the bot
    await say(app, telegram_api, STRANGER_ID, "/start")
    assert "An admin has to let you in first" in texts(telegram_api, STRANGER_ID)[-1]
    user = await stored(app, STRANGER_ID)
    assert user is not None and (user.role, user.access) == (Role.VIEWER, Access.PENDING)

    for text in ("/sources", "/balance", "hello", "/whoami"):
        await say(app, telegram_api, STRANGER_ID, text)
        assert texts(telegram_api, STRANGER_ID)[-1] == PENDING_NOTICE
    await say(app, telegram_api, STRANGER_ID, "/help")
    assert "An admin still has to let you in" in texts(telegram_api, STRANGER_ID)[-1]

    notice = await newcomer_notice(app, telegram_api)
    assert f"(id {STRANGER_ID}) wants to use the bot" in notice["text"]
    await feed(app, telegram_api.updates.callback(ADMIN_ID, notice, buttons(notice)["Approve"]))
    assert "was let in as trader" in telegram_api.last("editMessageText")["text"]
    user = await stored(app, STRANGER_ID)
    assert user is not None and (user.role, user.access) == (Role.TRADER, Access.GRANTED)
    await drain_outbox(app)
    assert "An admin let you in as trader" in texts(telegram_api, STRANGER_ID)[-1]
    await say(app, telegram_api, STRANGER_ID, "/whoami")
    assert texts(telegram_api, STRANGER_ID)[-1] != PENDING_NOTICE

    await feed(app, telegram_api.updates.callback(ADMIN_ID, notice, buttons(notice)["Refuse"]))
    assert "already let in" in telegram_api.last("answerCallbackQuery")["text"]
    user = await stored(app, STRANGER_ID)
    assert user is not None and user.access is Access.GRANTED
    async with app.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("user_approved") == 1


async def test_approval_gives_the_default_role_viewer(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(access={"registration": "approval", "default_role": "viewer"})
    await say(app, telegram_api, ADMIN_ID, "/start")
    await say(app, telegram_api, STRANGER_ID, "/start")
    notice = await newcomer_notice(app, telegram_api)
    await feed(app, telegram_api.updates.callback(ADMIN_ID, notice, buttons(notice)["Approve"]))
    user = await stored(app, STRANGER_ID)
    assert user is not None and (user.role, user.access) == (Role.VIEWER, Access.GRANTED)


async def test_only_an_admin_can_press_approve(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """A trader replaying the notice's button data is refused and nothing changes."""
    app = await signals_make_app(access={"registration": "approval"})
    await say(app, telegram_api, ADMIN_ID, "/start")
    await say(app, telegram_api, STRANGER_ID, "/start")
    notice = await newcomer_notice(app, telegram_api)
    async with app.db.transaction() as session:  # a trader let in earlier
        session.add(User(telegram_id=TRADER_ID, role=Role.TRADER, settings={}))
    await feed(app, telegram_api.updates.callback(TRADER_ID, notice, buttons(notice)["Approve"]))
    assert "not allowed" in telegram_api.last("answerCallbackQuery")["text"]
    await feed(app, telegram_api.updates.callback(STRANGER_ID, notice, buttons(notice)["Approve"]))
    assert telegram_api.last("answerCallbackQuery")["text"] == PENDING_NOTICE
    user = await stored(app, STRANGER_ID)
    assert user is not None and user.access is Access.PENDING


async def test_refused_stranger_is_told_once_and_kept_out(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(access={"registration": "approval"})
    await say(app, telegram_api, ADMIN_ID, "/start")
    await say(app, telegram_api, STRANGER_ID, "/start")
    notice = await newcomer_notice(app, telegram_api)
    await feed(app, telegram_api.updates.callback(ADMIN_ID, notice, buttons(notice)["Refuse"]))
    assert "was refused" in telegram_api.last("editMessageText")["text"]
    await drain_outbox(app)
    assert texts(telegram_api, STRANGER_ID)[-1] == REFUSED_NOTICE
    before = len(texts(telegram_api, STRANGER_ID))
    await say(app, telegram_api, STRANGER_ID, "/start")
    await say(app, telegram_api, STRANGER_ID, "/sources")
    assert texts(telegram_api, STRANGER_ID)[before:] == [REFUSED_NOTICE]  # one notice per hour
    user = await stored(app, STRANGER_ID)
    assert user is not None and (user.role, user.access) == (Role.VIEWER, Access.REFUSED)


async def test_admin_ids_get_in_as_admins_in_approval_mode(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(access={"registration": "approval"})
    await say(app, telegram_api, ADMIN_ID, "/start")
    user = await stored(app, ADMIN_ID)
    assert user is not None and (user.role, user.access) == (Role.ADMIN, Access.GRANTED)


# -- closed -----------------------------------------------------------------------------------


async def test_closed_refuses_strangers_politely_and_stores_nothing(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(access={"registration": "closed"})
    await say(app, telegram_api, STRANGER_ID, "/start")
    await say(app, telegram_api, STRANGER_ID, "/buy BTC/USDT 1")
    assert texts(telegram_api, STRANGER_ID) == [CLOSED_NOTICE]  # told once, not on every message
    assert await stored(app, STRANGER_ID) is None


async def test_closed_lets_admin_ids_in_and_a_grant_lets_a_stranger_in(
    signals_make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await signals_make_app(access={"registration": "closed"})
    await say(app, telegram_api, ADMIN_ID, "/start")
    admin = await stored(app, ADMIN_ID)
    assert admin is not None and admin.role is Role.ADMIN
    await say(app, telegram_api, ADMIN_ID, f"/grant {STRANGER_ID} viewer")
    await say(app, telegram_api, STRANGER_ID, "/start")
    assert texts(telegram_api, STRANGER_ID)[-1].startswith("Welcome")
    user = await stored(app, STRANGER_ID)
    assert user is not None and (user.role, user.access) == (Role.VIEWER, Access.GRANTED)
