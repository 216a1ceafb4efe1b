"""Feature wiring: each feature builds its services, routers and lifecycle hooks from the
shared context. ``build_app`` composes them; nothing else constructs feature objects."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Router

from core.cache import KeyValue
from core.clock import Clock
from core.config import Settings
from core.db.session import Database
from core.metrics import Metrics
from core.security import KeyStore
from handlers.deps import Services
from services.exchange.factory import ExchangeFactory
from services.notifications import OutboxNotifier
from services.users import UserService

Hook = Callable[[], Awaitable[None]]  # a start hook or a closer
Job = Callable[[asyncio.Event], Coroutine[Any, Any, None]]  # a background job, given its stop


@dataclass
class FeatureContext:
    settings: Settings
    db: Database
    kv: KeyValue
    keystore: KeyStore
    notifier: OutboxNotifier
    users: UserService
    metrics: Metrics
    clock: Clock
    # What earlier features built: their services, and the trading feature's exchange factory
    # (for the accounts feature; never workflow data: it hands out clients with secrets).
    services: Services = field(default_factory=Services)
    exchange_factory: ExchangeFactory | None = None
    bot: Bot | None = None  # for jobs that edit messages (the outbox only sends new ones)


@dataclass
class Feature:
    services: Services = field(default_factory=Services)  # injected by name
    exchange_factory: ExchangeFactory | None = None  # the trading feature's, for later features
    routers: list[Router] = field(default_factory=list)  # before /start and the fallback
    start_hooks: list[Hook] = field(default_factory=list)
    background: list[Job] = field(default_factory=list)  # run until their stop event is set
    closers: list[Hook] = field(default_factory=list)


FeatureBuilder = Callable[[FeatureContext], Awaitable[Feature]]


def feature_builders() -> list[FeatureBuilder]:
    """In dependency order (trading first: the others use it). Routers follow the same order,
    so pasted signal posts reach the signals feature before plain-language commands do."""
    from bot.features import accounts, admin, api, signals, tracking, trading

    # the API last: it is built over what every other feature made
    return [trading.build, signals.build, accounts.build, tracking.build, admin.build, api.build]
