"""create_dispatcher: storage, the middleware chain in order, and the routers."""

from __future__ import annotations

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage

from bot.middlewares.auth import AuthMiddleware
from bot.middlewares.context import ContextMiddleware
from bot.middlewares.inbox import InboxMiddleware
from bot.middlewares.presence import PresenceMiddleware
from bot.middlewares.priority import SignalPriorityMiddleware
from bot.middlewares.rate_limit import RateLimitMiddleware
from bot.middlewares.rbac import RbacMiddleware
from core.cache import KeyValue
from core.clock import Clock
from core.config import Settings
from core.metrics import Metrics
from handlers import build_routers
from handlers.deps import Services
from services.inbox import InboxService
from services.users import UserService

# Every observer a handler may use gets the RBAC middleware: deny by default everywhere.
RBAC_OBSERVERS = (
    "message",
    "edited_message",
    "callback_query",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "chat_member",
    "inline_query",
)


def create_dispatcher(
    *,
    settings: Settings,
    services: Services,
    storage: BaseStorage,
    isolation: BaseEventIsolation,
    inbox: InboxService,
    users: UserService,
    kv: KeyValue,
    metrics: Metrics,
    clock: Clock,
    feature_routers: list[Router] | None = None,
) -> Dispatcher:
    # workflow data is the services handlers call, nothing else (handlers.deps)
    dp = Dispatcher(storage=storage, events_isolation=isolation, **services)
    dp.update.outer_middleware(ContextMiddleware(metrics))
    dp.update.outer_middleware(SignalPriorityMiddleware())  # channel posts first (T14)
    dp.update.outer_middleware(InboxMiddleware(inbox, metrics))
    dp.update.outer_middleware(AuthMiddleware(users, settings.limits.ban_notice_interval_s, clock))
    dp.update.outer_middleware(PresenceMiddleware())  # last seen, for the admin tools
    limits = settings.limits
    rate_limit = RateLimitMiddleware(
        kv, limits.rate_limit_per_minute, limits.rate_limit_burst, metrics
    )
    dp.update.outer_middleware(rate_limit)
    dp.shutdown.register(rate_limit.aclose)  # answers what it still owes
    rbac = RbacMiddleware(metrics)
    for name in RBAC_OBSERVERS:
        dp.observers[name].middleware(rbac)
    dp.include_routers(*build_routers(feature_routers or []))
    return dp
