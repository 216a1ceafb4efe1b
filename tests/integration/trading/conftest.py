"""The trading service on a real database: paper engine on a StaticFeed, and live accounts
whose keys are encrypted by the key store and whose ccxt client talks to FakeExchangeAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from core.cache import KeyValue
from core.clock import Clock, utc_now
from core.config import Settings, load_settings
from core.db.models import ExchangeAccount, Order, OutboxMessage
from core.db.session import Database
from core.metrics import Metrics
from core.security import KeyStore
from handlers.trading_render import OrderHtml
from services.dto import UserView
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import StaticFeed
from services.exchange.paper import PaperEngine
from services.notifications import OutboxNotifier
from services.pin_attempts import PinAttempts
from services.trading import TradingService
from services.trading_dto import AccountView
from services.users import UserService
from tests.fakes.exchange_api import FakeExchangeAPI, load_saved_markets

TRADER = 5005
OTHER = 6006
FAKE_SECRET = "fake-secret-for-trading-tests-0001"


def exchange_settings(**overrides: Any) -> Settings:
    return load_settings(None, exchange={"price_feed": "static", **overrides})


@dataclass
class Trading:
    db: Database
    service: TradingService
    paper: PaperEngine
    factory: ExchangeFactory
    feed: StaticFeed
    keystore: KeyStore
    users: UserService
    metrics: Metrics
    fake: FakeExchangeAPI | None = None

    async def user(self, telegram_id: int = TRADER) -> UserView:
        view, _ = await self.users.ensure(telegram_id, f"u{telegram_id}", None)
        return view

    async def orders(self) -> list[Order]:
        async with self.db.session() as session:
            return list(await session.scalars(select(Order).order_by(Order.id)))

    async def outbox(self) -> list[OutboxMessage]:
        async with self.db.session() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def count_orders(self) -> int:
        async with self.db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Order)) or 0)

    async def add_live_account(
        self, user: UserView, api_key: str, label: str = "main"
    ) -> AccountView:
        async with self.db.transaction() as session:
            account = ExchangeAccount(
                user_id=user.id,
                exchange_id="binance",
                label=label,
                is_paper=False,
                api_key_enc=self.keystore.encrypt(api_key),
                secret_enc=self.keystore.encrypt(FAKE_SECRET),
                key_hint="fake…0123",
            )
            session.add(account)
            await session.flush()
            return AccountView(account.id, label, "binance", False, False, "fake…0123")


def build_trading(
    db: Database,
    *,
    kv: KeyValue | None = None,
    exchange_api: FakeExchangeAPI | None = None,
    clock: Clock = utc_now,
    **settings_overrides: Any,
) -> Trading:
    settings = exchange_settings(**settings_overrides)
    feed = StaticFeed({"BTC/USDT": "64000", "ETH/USDT": "3000", "DOGE/USDT": "0.2"})
    paper = PaperEngine(db, feed, settings.exchange)
    keystore = KeyStore([Fernet.generate_key()])
    factory = ExchangeFactory(
        db,
        keystore,
        settings.exchange,
        paper,
        urls_override=exchange_api.url if exchange_api else None,
        saved_markets={"binance": load_saved_markets()},
        rate_limit=False,
        client_options={"retry_backoff_s": 0, "timeout_ms": 500},
    )
    metrics = Metrics()
    kv = kv or KeyValue.memory()
    service = TradingService(
        db,
        factory,
        locks=kv.locks,
        pin_attempts=PinAttempts(kv.cache, kv.locks, clock),
        notifier=OutboxNotifier(db),
        messages=OrderHtml(),
        settings=settings.exchange,
        confirm_ttl_s=settings.security.confirm_ttl_s,
        metrics=metrics,
    )
    return Trading(
        db, service, paper, factory, feed, keystore, UserService(db), metrics, exchange_api
    )


@pytest.fixture
async def trading(db: Database) -> AsyncIterator[Trading]:
    """Paper trading on SQLite and on PostgreSQL."""
    t = build_trading(db)
    yield t
    await t.factory.aclose()


@pytest.fixture
async def exchange_api() -> AsyncIterator[FakeExchangeAPI]:
    async with FakeExchangeAPI(
        balances={"USDT": "10000", "BTC": "0.5"},
        prices={"BTC/USDT": "50000", "ETH/USDT": "3000"},
    ) as fake:
        yield fake


@pytest.fixture
async def live(
    pg_db: Database, redis_kv: KeyValue, exchange_api: FakeExchangeAPI
) -> AsyncIterator[Trading]:
    """Live trading through real ccxt against the fake exchange, PostgreSQL + Redis locks."""
    t = build_trading(pg_db, kv=redis_kv, exchange_api=exchange_api)
    yield t
    await t.factory.aclose()
