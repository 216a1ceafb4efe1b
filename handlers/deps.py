"""Every key injected into handler data, with its type (the DI contract for handlers).

Workflow data (``Dispatcher(**services)``, built by ``bot.app`` and the features) and the
per-update keys the outer middlewares add. Handlers declare only the parameters they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.dispatcher.middlewares.data import MiddlewareData

if TYPE_CHECKING:
    from core.clock import Clock
    from core.config import Settings
    from core.metrics import Metrics
    from core.security import KeyStore
    from services.accounts import AccountService
    from services.dto import UserView
    from services.exchange.factory import ExchangeFactory
    from services.notifications import OutboxNotifier
    from services.plain_language import PlainLanguageService
    from services.signals import SignalService
    from services.sources import SourceService
    from services.trading import TradingService
    from services.users import UserService


class HandlerData(MiddlewareData, total=False):
    # workflow data
    settings: Settings
    user_service: UserService
    notifier: OutboxNotifier
    keystore: KeyStore
    metrics: Metrics
    clock: Clock
    trading_service: TradingService
    exchange_factory: ExchangeFactory
    account_service: AccountService
    plain_language_service: PlainLanguageService
    signal_service: SignalService
    source_service: SourceService
    # per update (outer middlewares)
    update_id: int
    user: UserView | None
    user_created: bool
