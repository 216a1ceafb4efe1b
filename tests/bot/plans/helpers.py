"""What the plan tests through the dispatcher share: prices set by hand (a StaticFeed), one
maintenance pass at a given price, and reads of a user's plans, legs and notes. The ``app``
fixture (PostgreSQL, Redis, static prices) is in this package's conftest."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from core.db.models import OutboxMessage, PlanLeg, TradePlan, User
from services.exchange.feeds import StaticFeed

PRICES = {"BTC/USDT": "61500", "ETH/USDT": "3000"}
STATIC = {"price_feed": "static", "static_prices": PRICES}


def price_feed(app: App) -> StaticFeed:
    feed_ = app.services["trading_service"].price_feed
    assert isinstance(feed_, StaticFeed)
    return feed_


async def market(app: App, price: str, symbol: str = "BTC/USDT") -> None:
    """Move the price and run one maintenance pass (paper fills, then every plan)."""
    price_feed(app).set_price(symbol, price)
    await app.services["trading_service"].run_maintenance()
    await app.services["plan_service"].run_pass()


async def plans_of(app: App, user_telegram_id: int) -> list[TradePlan]:
    async with app.db.session() as session:
        rows = await session.scalars(select(TradePlan).order_by(TradePlan.id))
        plans = list(rows)
    user_ids = await _user_ids(app)
    return [p for p in plans if p.user_id == user_ids[user_telegram_id]]


async def _user_ids(app: App) -> dict[int, int]:
    async with app.db.session() as session:
        return {u.telegram_id: u.id for u in await session.scalars(select(User))}


async def legs(app: App, plan_id: int) -> list[PlanLeg]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(PlanLeg).where(PlanLeg.plan_id == plan_id).order_by(PlanLeg.id)
        )
        return list(rows)


async def notes(app: App, telegram_id: int) -> list[str]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage.text)
            .where(OutboxMessage.chat_id == telegram_id)
            .order_by(OutboxMessage.id)
        )
        return list(rows)
