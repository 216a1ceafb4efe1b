"""Following a signal to its end through the real dispatcher, on the paper exchange with prices
set by hand: three traders in three modes, the entry filling in the zone, TP1 with breakeven,
the channel moving the stop, the stop closing the plan with its P/L in quote and R; confirm
buttons forged, foreign, expired and pressed twice; channel updates reaching every plan."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import ActionToken, Order
from core.domain import LegKind, LegStatus, OrderSide, OrderType, PlanStatus
from tests.bot.conftest import TRADER_ID, feed
from tests.bot.plans.helpers import legs, market, notes, plans_of, price_feed
from tests.bot.signals.test_intake import CHANNEL, post, register, reply_post
from tests.fakes.telegram_api import FakeTelegramAPI

CONFIRMER_ID = 2102
WATCHER_ID = 2202
SPOT = "BTC/USDT LONG\nEntry: 60000-61000\nTP1: 62000\nTP2: 64000\nSL: 58000"


async def start_three(app: App, telegram_api: FakeTelegramAPI) -> dict[str, Any]:
    await register(app, telegram_api)
    for user in (TRADER_ID, CONFIRMER_ID, WATCHER_ID):
        await feed(app, telegram_api.updates.message(user, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 100"))
    await feed(app, telegram_api.updates.message(CONFIRMER_ID, "/follow 1 confirm 100"))
    await feed(app, telegram_api.updates.message(WATCHER_ID, "/follow 1"))
    return await post(app, telegram_api, SPOT)


async def test_three_followers_in_three_modes_to_the_stop(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    entry_post = await start_three(app, telegram_api)

    # auto: a plan with a limit at the zone edge nearest the market, resting
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.OPEN and plan.mode == "auto"
    [entry] = await legs(app, plan.id)
    assert entry.kind is LegKind.ENTRY and entry.status is LegStatus.PLACED
    assert entry.price == Decimal(61000)
    async with app.db.session() as session:
        order = await session.scalar(
            select(Order).where(Order.client_order_id == entry.client_order_id)
        )
    assert order is not None and order.type is OrderType.LIMIT and order.side is OrderSide.BUY
    # confirm: a card, nothing sent; notify: nothing but the signal
    [card_plan] = await plans_of(app, CONFIRMER_ID)
    assert card_plan.status is PlanStatus.AWAITING_CONFIRM
    assert await legs(app, card_plan.id) and not [
        o for o in await _orders(app) if o.user_id == card_plan.user_id
    ]
    assert await plans_of(app, WATCHER_ID) == []

    await market(app, "60900")  # into the zone: the entry fills
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.ACTIVE and plan.filled_qty > 0
    assert plan.avg_entry == Decimal(61000)

    await market(app, "62100")  # TP1: half sold, the stop to breakeven
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.targets_hit == 1 and plan.closed_qty > 0
    assert plan.stop_price is not None and plan.stop_price >= Decimal(61000)

    await reply_post(app, telegram_api, "SL moved to 61500", entry_post)  # the channel
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.stop_price == Decimal(61500)

    await market(app, "61400")  # the stop
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.CLOSED
    assert plan.filled_qty == plan.closed_qty
    assert plan.realized_pnl > 0 and plan.realized_r is not None and plan.realized_r > 0
    texts = "\n".join(await notes(app, TRADER_ID))
    for word in ("61,000", "62,000", "61,500"):
        assert word in texts
    assert "R" in texts


async def _orders(app: App) -> list[Order]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Order).order_by(Order.id)))


async def _card(app: App, telegram_api: FakeTelegramAPI) -> tuple[dict[str, Any], str]:
    assert await app.outbox.flush(limit_s=10) == 0
    for message in reversed(telegram_api.messages(CONFIRMER_ID)):
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if str(button.get("callback_data", "")).startswith("plan:x:"):
                    return message, str(button["callback_data"]).split(":", 2)[2]
    raise AssertionError("no plan card with an Execute button")


async def test_confirm_buttons_forged_foreign_twice_and_expired(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await start_three(app, telegram_api)
    card, token = await _card(app, telegram_api)
    # forged and foreign presses change nothing
    await feed(app, telegram_api.updates.callback(CONFIRMER_ID, card, "plan:x:forged-token"))
    await feed(app, telegram_api.updates.callback(TRADER_ID, card, f"plan:x:{token}"))
    [plan] = await plans_of(app, CONFIRMER_ID)
    assert plan.status is PlanStatus.AWAITING_CONFIRM
    # pressed twice: placed once
    await feed(app, telegram_api.updates.callback(CONFIRMER_ID, card, f"plan:x:{token}"))
    await feed(app, telegram_api.updates.callback(CONFIRMER_ID, card, f"plan:x:{token}"))
    [plan] = await plans_of(app, CONFIRMER_ID)
    assert plan.status is PlanStatus.OPEN
    mine = [o for o in await _orders(app) if o.user_id == plan.user_id]
    assert len(mine) == 1
    # an expired card places nothing
    async with app.db.transaction() as session:
        row = await session.get(ActionToken, token)
        assert row is not None
        row.status = "pending"
        row.expires_at = row.created_at - timedelta(seconds=1)
    await feed(app, telegram_api.updates.callback(CONFIRMER_ID, card, f"plan:x:{token}"))
    assert len([o for o in await _orders(app) if o.user_id == plan.user_id]) == 1


async def test_ignore_ends_the_card_and_channel_close_reaches_every_plan(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    entry_post = await start_three(app, telegram_api)
    card, token = await _card(app, telegram_api)
    await feed(app, telegram_api.updates.callback(CONFIRMER_ID, card, f"plan:i:{token}"))
    [ignored] = await plans_of(app, CONFIRMER_ID)
    assert ignored.status is PlanStatus.CANCELLED
    await market(app, "60900")
    await reply_post(app, telegram_api, "Close BTC now", entry_post)
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.CLOSED and plan.filled_qty == plan.closed_qty
    await reply_post(app, telegram_api, "Close BTC now", entry_post)  # a repeat changes nothing
    assert len([o for o in await _orders(app) if o.user_id == plan.user_id]) == 2


async def test_price_past_the_stop_or_target_is_skipped_with_the_reason(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 100"))
    price_feed(app).set_price("ETH/USDT", "2979")
    await post(app, telegram_api, "ETH/USDT LONG\nEntry: 3500\nTP1: 3600\nSL: 3400")
    price_feed(app).set_price("BTC/USDT", "88405")
    await post(app, telegram_api, "BTC/USDT LONG\nEntry: 64000\nTP1: 65000\nTP2: 66000\nSL: 62000")
    assert await plans_of(app, TRADER_ID) == []
    assert await _orders(app) == []
    texts = "\n".join(await notes(app, TRADER_ID))
    assert "stop" in texts.lower() and "target" in texts.lower()


PERP = "#BTC/USDT LONG\nLeverage: 10x\nEntry: 60000-61000\nTP1: 62000\nTP2: 64000\nSL: 58000"


async def test_a_futures_signal_becomes_a_paper_perp_plan_with_reduce_only_exits(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 100"))
    await post(app, telegram_api, PERP)
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.symbol == "BTC/USDT:USDT" and plan.leverage == 10
    await market(app, "60900")
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.ACTIVE
    working = [leg for leg in await legs(app, plan.id) if leg.status is LegStatus.PLACED]
    kinds = sorted(leg.kind.value for leg in working)
    assert kinds == ["stop", "tp", "tp"] and all(leg.reduce_only for leg in working)
    positions = await app.services["trading_service"].positions(await _user_view(app))
    perp = [p for _, ps in positions for p in ps if p.symbol == "BTC/USDT:USDT"]
    assert perp and perp[0].leverage == 10 and perp[0].liquidation_price is not None
    await market(app, "62100")  # TP1 (a resting reduce-only limit) fills
    await market(app, "64100")  # TP2: the position is gone, the stop cancelled
    [plan] = await plans_of(app, TRADER_ID)
    assert plan.status is PlanStatus.CLOSED and plan.targets_hit == 2
    assert plan.realized_r is not None and plan.realized_r > 0
    assert [leg for leg in await legs(app, plan.id) if leg.status is LegStatus.PLACED] == []


async def _user_view(app: App) -> Any:
    return await app.users.get(TRADER_ID)


async def test_an_edit_after_the_trade_gives_the_plans_new_targets_and_stop(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 100"))
    first = await post(app, telegram_api, SPOT)
    await market(app, "60900")  # the entry fills
    message_id = first["channel_post"]["message_id"]
    edited = SPOT.replace("TP2: 64000", "TP2: 63500").replace("SL: 58000", "SL: 59000")
    for _ in range(2):  # delivered twice: applied once
        update = telegram_api.updates.edited_channel_post(CHANNEL, message_id, edited)
        await feed(app, update)
    [plan] = await plans_of(app, TRADER_ID)
    assert [Decimal(t) for t in plan.targets] == [Decimal(62000), Decimal(63500)]
    assert plan.stop_price == Decimal(59000)
    texts = await notes(app, TRADER_ID)
    assert sum("63,500" in t for t in texts) == 1 and sum("59,000" in t for t in texts) == 1
