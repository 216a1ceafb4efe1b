"""Kill switches through the real dispatcher: /pause and /resume (all, or one source), an
admin's /maintenance, and /panic closing every open plan at market after Confirm, once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry
from core.domain import PlanStatus
from tests.bot.conftest import ADMIN_ID, TRADER_ID, feed
from tests.bot.plans.helpers import market, notes, plans_of
from tests.bot.signals.test_intake import post, register
from tests.fakes.telegram_api import FakeTelegramAPI


def signal(n: int) -> str:
    """A spot long inside today's zone; each ``n`` a different post (not a re-post)."""
    return f"BTC/USDT LONG\nEntry: 61000-62000\nTP1: {63000 + n}\nTP2: 65000\nSL: 58000"


async def _follower(app: App, telegram_api: FakeTelegramAPI) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 100"))


async def test_pause_and_resume_stop_and_restart_new_plans(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await _follower(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/pause"))
    await post(app, telegram_api, signal(1))
    assert await plans_of(app, TRADER_ID) == []
    assert "paus" in (await notes(app, TRADER_ID))[-1].lower()
    await feed(app, telegram_api.updates.message(TRADER_ID, "/resume"))
    await post(app, telegram_api, signal(2))
    assert len(await plans_of(app, TRADER_ID)) == 1


async def test_maintenance_stops_every_new_plan_until_it_is_off(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await _follower(app, telegram_api)
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/maintenance on"))  # not an admin
    await post(app, telegram_api, signal(3))
    assert len(await plans_of(app, TRADER_ID)) == 1
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/maintenance on"))
    await post(app, telegram_api, signal(4))
    assert len(await plans_of(app, TRADER_ID)) == 1
    assert "maintenance" in (await notes(app, TRADER_ID))[-1].lower()
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/maintenance off"))
    async with app.db.session() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert actions.count("maintenance.on") == 1 and "maintenance.off" in actions


def _button(telegram_api: FakeTelegramAPI, text: str) -> tuple[dict[str, Any], str]:
    for message in reversed(telegram_api.messages(TRADER_ID)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"].startswith(text):
                    return message, str(button["callback_data"])
    raise AssertionError(f"no {text!r} button")


async def test_panic_closes_every_open_plan_once_after_confirm(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await _follower(app, telegram_api)
    await post(app, telegram_api, signal(5))
    await market(app, "61500")  # inside the zone: the entry fills
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.ACTIVE
    await feed(app, telegram_api.updates.message(TRADER_ID, "/panic"))
    card, data = _button(telegram_api, "Confirm")
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.ACTIVE  # nothing before Confirm
    await feed(app, telegram_api.updates.callback(TRADER_ID, card, data))
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.CLOSED and plan.close_reason == "panic"
    assert plan.closed_qty == plan.filled_qty
    await feed(app, telegram_api.updates.callback(TRADER_ID, card, data))  # pressed again
    assert "once" in str(telegram_api.last("answerCallbackQuery").get("text", "")).lower()
    async with app.db.session() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert "panic" in actions
