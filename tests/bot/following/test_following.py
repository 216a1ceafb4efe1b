"""Following with settings through the real dispatcher (issue 9, items 4 and 6): /follow's size
checked against the account, the settings menu (a choice, a typed value, a refused value,
foreign and forged buttons), /following, /pause and /resume, admin /maintenance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry, BotFlag, Subscription, User
from core.domain import SubscriptionMode
from handlers.following_callbacks import SETTING_COUNT
from handlers.following_render import SETTINGS
from services.trade_plans.settings import FollowSettings
from tests.bot.conftest import ADMIN_ID, TRADER_ID, feed
from tests.bot.signals.test_intake import button_data, follow, register, rows
from tests.fakes.telegram_api import FakeTelegramAPI

OTHER_TRADER = 7007


async def say(app: App, telegram_api: FakeTelegramAPI, text: str, user_id: int = TRADER_ID) -> str:
    await feed(app, telegram_api.updates.message(user_id, text))
    return str(telegram_api.messages(user_id)[-1]["text"])


async def press(
    app: App, telegram_api: FakeTelegramAPI, data: str, user_id: int = TRADER_ID
) -> dict[str, Any]:
    """Press ``data`` under the user's last message; the callback answer."""
    message = telegram_api.messages(user_id)[-1]
    await feed(app, telegram_api.updates.callback(user_id, message, data))
    return dict(telegram_api.last("answerCallbackQuery"))


async def stored(app: App, user_id: int = TRADER_ID) -> FollowSettings:
    async with app.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == user_id))
        assert user is not None
        sub = await session.scalar(select(Subscription).where(Subscription.user_id == user.id))
        assert sub is not None
        return FollowSettings.from_json(sub.settings)


async def flags(app: App) -> list[BotFlag]:
    async with app.db.session() as session:
        return list(await session.scalars(select(BotFlag)))


def test_the_menu_fits_its_callback_bound() -> None:
    assert len(SETTINGS) == SETTING_COUNT


async def test_a_size_over_the_balance_or_under_the_minimum_is_refused_with_figures(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    over = await follow(app, telegram_api, TRADER_ID, "1 auto 20000")
    assert "20000 USDT per trade is more than the 10000 USDT free" in over
    under = await follow(app, telegram_api, TRADER_ID, "1 auto 0.5")
    assert "0.5 USDT per trade is under the minimum order of 1 USDT" in under
    assert await rows(app, Subscription) == []
    reply = await follow(app, telegram_api, TRADER_ID, "1 auto")  # the defaults: one line
    assert "auto mode: 50.00 USDT per signal" in reply
    assert "Breakeven after TP: 1" in reply
    [sub] = await rows(app, Subscription)
    assert sub.mode is SubscriptionMode.AUTO and sub.order_size_quote == Decimal(50)
    assert FollowSettings.from_json(sub.settings).mode is SubscriptionMode.AUTO
    confirm = await follow(app, telegram_api, TRADER_ID, "1 confirm 25")
    assert "confirm mode: 25.00 USDT" in confirm
    settings = await stored(app)
    assert (settings.mode, settings.size) == (SubscriptionMode.CONFIRM, Decimal(25))


async def test_settings_menu_changes_refuses_and_ignores_foreign_buttons(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID, "1 auto 40")
    buttons = button_data(telegram_api.messages(TRADER_ID)[-1])
    # a choice: Mode -> confirm
    await press(app, telegram_api, buttons["Mode"])
    choices = button_data(telegram_api.messages(TRADER_ID)[-1])
    assert set(choices) >= {"notify (tell me)", "confirm (ask me first)", "Back"}
    await press(app, telegram_api, choices["confirm (ask me first)"])
    assert (await stored(app)).mode is SubscriptionMode.CONFIRM
    assert "Mode: confirm" in str(telegram_api.messages(TRADER_ID)[-1]["text"])
    # a typed value: refused (the reason, nothing changed), then accepted
    await press(app, telegram_api, buttons["Max leverage"])
    assert "Send the new value" in str(telegram_api.messages(TRADER_ID)[-1]["text"])
    refused = await say(app, telegram_api, "500")
    assert "The leverage must be a whole number from 1 to 125." in refused
    assert (await stored(app)).max_leverage == 10
    saved = await say(app, telegram_api, "20")
    assert "Max leverage: 20" in saved
    assert (await stored(app)).max_leverage == 20
    # a forged choice value goes through the same check
    mode = SETTINGS.index(next(s for s in SETTINGS if s.name == "mode"))
    answer = await press(app, telegram_api, f"fv:1:{mode}:yolo:0")
    assert "Choose one of: notify, confirm, auto." in answer["text"]
    assert (await stored(app)).mode is SubscriptionMode.CONFIRM
    # another user pressing the same button reaches only their own (missing) subscription
    await say(app, telegram_api, "/start", OTHER_TRADER)
    answer = await press(app, telegram_api, f"fv:1:{mode}:notify:0", OTHER_TRADER)
    assert "You do not follow that source" in answer["text"]
    assert (await stored(app)).mode is SubscriptionMode.CONFIRM
    # forged ids and indexes are refused before any service call
    for data in (f"fv:{2**63}:0:auto:0", f"fm:pick:1:{SETTING_COUNT}", "fm:show:0:0"):
        answer = await press(app, telegram_api, data)
        assert answer["text"] == "This button is no longer valid.", data


async def test_following_lists_mode_account_size_and_pause(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    assert "You follow no source yet" in await say(app, telegram_api, "/following")
    await follow(app, telegram_api, TRADER_ID, "1 auto 30")
    await say(app, telegram_api, "/pause 1")
    listing = await say(app, telegram_api, "/following")
    assert "auto" in listing and "30.00 USDT" in listing and "paused" in listing
    assert "paper spot" in listing
    assert any(
        k.startswith("Settings:") for k in button_data(telegram_api.messages(TRADER_ID)[-1])
    )


async def test_pause_and_resume_all_or_one_source_are_audited(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await follow(app, telegram_api, TRADER_ID, "1 auto 30")
    assert "Paused: no new plans from any source" in await say(app, telegram_api, "/pause")
    async with app.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == TRADER_ID))
        assert user is not None and user.settings["risk"]["auto_paused"] is True
    assert "All your trading is paused" in await say(app, telegram_api, "/following")
    assert "Resumed" in await say(app, telegram_api, "/resume")
    assert "Paused" in await say(app, telegram_api, "/pause 1")
    [sub] = await rows(app, Subscription)
    assert sub.paused is True
    await say(app, telegram_api, "/resume 1")
    [sub] = await rows(app, Subscription)
    assert sub.paused is False
    actions = [e.action for e in await rows(app, AuditEntry) if e.action.startswith("trading.")]
    assert actions == ["trading.pause", "trading.resume", "trading.pause", "trading.resume"]
    assert "You do not follow" in await say(app, telegram_api, "/pause 1", OTHER_TRADER)


async def test_maintenance_is_an_admin_switch_read_from_the_database(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    assert "not allowed" in await say(app, telegram_api, "/maintenance on")
    assert await flags(app) == []
    assert "Maintenance is on" in await say(app, telegram_api, "/maintenance on", ADMIN_ID)
    [flag] = await flags(app)
    assert (flag.key, flag.value) == ("maintenance", {"on": True})
    assert await app.services["following_service"].maintenance() is True
    assert "now on" in await say(app, telegram_api, "/maintenance", ADMIN_ID)
    assert "Maintenance is off" in await say(app, telegram_api, "/maintenance off", ADMIN_ID)
    actions = [e.action for e in await rows(app, AuditEntry)]
    assert actions == ["maintenance.on", "maintenance.off"]
