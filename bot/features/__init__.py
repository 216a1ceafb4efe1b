"""Feature wiring: each feature builds its services, routers and lifecycle hooks from the
shared context. ``build_app`` composes them; nothing else constructs feature objects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Router

from core.cache import KeyValue
from core.clock import Clock
from core.config import Settings
from core.db.session import Database
from core.metrics import Metrics
from core.security import KeyStore
from services.notifications import OutboxNotifier
from services.users import UserService


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
    # Services built by earlier features, by their workflow-data name (e.g. "trading_service").
    services: dict[str, Any] = field(default_factory=dict)


@dataclass
class Feature:
    services: dict[str, Any] = field(default_factory=dict)  # injected into handlers by name
    routers: list[Router] = field(default_factory=list)  # before /start and the fallback
    start_hooks: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    background: list[Callable[[Any], Awaitable[Any]]] = field(default_factory=list)  # (stop)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


FeatureBuilder = Callable[[FeatureContext], Awaitable[Feature]]


def feature_builders() -> list[FeatureBuilder]:
    """In dependency order (trading first: the others use it). Routers follow the same order,
    so pasted signal posts reach the signals feature before plain-language commands do."""
    from bot.features import accounts, signals, trading

    return [trading.build, signals.build, accounts.build]
