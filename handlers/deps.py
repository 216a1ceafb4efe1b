"""Every key injected into handler data, with its type (the DI contract for handlers).

``Services`` is the workflow data (``Dispatcher(**services)``, built by ``bot.app`` and the
features): the services handlers call, by parameter name, and nothing else. The key store,
metrics, clock and exchange factory stay inside the services that use them; a handler cannot
ask for them. ``HandlerData`` adds the per-update keys the outer middlewares set. Handlers
declare only the parameters they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from aiogram.dispatcher.middlewares.data import MiddlewareData

if TYPE_CHECKING:
    from services.accounts import AccountService
    from services.admin.service import AdminService
    from services.api_auth import ApiKeyService
    from services.backtest.service import BacktestService
    from services.dto import UserView
    from services.plain_language import PlainLanguageService
    from services.reports.service import ReportService
    from services.signals import SignalService
    from services.sources import SourceService
    from services.tracking.service import TrackingService
    from services.trade_plans.following import FollowingService
    from services.trade_plans.service import TradePlanService
    from services.trading import TradingService
    from services.users import UserService


class Services(TypedDict, total=False):
    """The services a feature contributes to workflow data (a feature may be left out)."""

    user_service: UserService
    trading_service: TradingService
    account_service: AccountService
    plain_language_service: PlainLanguageService
    signal_service: SignalService
    source_service: SourceService
    following_service: FollowingService
    plan_service: TradePlanService
    report_service: ReportService
    tracking_service: TrackingService
    backtest_service: BacktestService
    apikey_service: ApiKeyService
    admin_service: AdminService


class HandlerData(MiddlewareData, Services, total=False):
    """What a handler can be given: aiogram's own keys, the services, and per update:"""

    update_id: int  # ContextMiddleware
    user: UserView | None  # AuthMiddleware (None for channel posts and service updates)
    user_created: bool  # AuthMiddleware
