"""What the plan tests through the dispatcher share: prices set by hand (a StaticFeed), one
maintenance pass at a given price, and reads of a user's plans, legs and notes. The ``app``
fixture (PostgreSQL, Redis, static prices) is in this package's conftest."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from core.db.models import ExchangeAccount, OutboxMessage, PlanLeg, Subscription, TradePlan, User
from core.domain import MarketType, SubscriptionMode
from core.security import KeyStore, hash_secret
from services.exchange.feeds import StaticFeed
from services.trade_plans.settings import FollowSettings
from tests.bot.conftest import feed
from tests.fakes.exchange_api import DEFAULT_API_KEY
from tests.fakes.telegram_api import FakeTelegramAPI

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


async def live_follower(
    app: App, telegram_api: FakeTelegramAPI, telegram_id: int, **settings: str
) -> None:
    """``telegram_id`` follows source 1 in auto mode on a live Binance account holding the fake
    exchange's key (a PIN set, the live warning accepted), with follow ``settings`` by name."""
    await feed(app, telegram_api.updates.message(telegram_id, "/start"))
    await feed(app, telegram_api.updates.message(telegram_id, "/follow 1"))
    secret = app.settings.security.encryption_key
    assert secret is not None
    keys = KeyStore([secret.get_secret_value().encode()])
    async with app.db.transaction() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert user is not None
        user.pin_hash = await hash_secret("2468")
        user.settings = {**user.settings, "risk": {"live_auto_ack": True}}
        account = ExchangeAccount(
            user_id=user.id,
            exchange_id="binance",
            label="main",
            api_key_enc=keys.encrypt(DEFAULT_API_KEY),
            secret_enc=keys.encrypt("s" * 64),
            key_hint="fake…6789",
            market_type=MarketType.SPOT,
        )
        session.add(account)
        await session.flush()
        sub = await session.scalar(select(Subscription).where(Subscription.user_id == user.id))
        assert sub is not None
        follow = FollowSettings(mode=SubscriptionMode.AUTO, account=str(account.id))
        for name, value in settings.items():
            follow = follow.with_value(name, value)
        sub.mode = SubscriptionMode.AUTO
        sub.settings = follow.to_json()
