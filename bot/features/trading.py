"""Wiring of the trading feature: price feed, paper engine, exchange factory, trading service,
the trade-plan service, their routers, the reconciler and plan resume at start and the
periodic maintenance job (paper fills, reconciliation, then every working plan's pass)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from bot.console.market import MarketOverrides
from bot.features import Feature, FeatureContext
from core.clock import Clock
from core.config import ExchangeSettings
from handlers.plans_render import PlanHtml
from handlers.trading_render import OrderHtml
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import ExchangeTickerFeed, PriceFeed, StaticFeed
from services.exchange.paper import PaperEngine
from services.pin_attempts import PinAttempts
from services.reports.service import ReportService
from services.trade_plans.service import TradePlanService
from services.trading import TradingService

log = structlog.get_logger(__name__)


def build_feed(
    settings: ExchangeSettings, factory: ExchangeFactory, clock: Clock
) -> tuple[PriceFeed, Callable[[], Awaitable[None]] | None]:
    """The paper exchange's price feed per ``PRICE_FEED``, and its closer if it has one."""
    if settings.price_feed == "static":
        return StaticFeed(settings.static_prices, clock=clock), None
    if settings.price_feed == "exchange":
        client = factory.client_for_keys(settings.price_feed_exchange, "", "")
        return ExchangeTickerFeed(client, cache=factory.cache), client.close
    # the console's /market sets prices on this layer; with none set it is the replay exactly
    return MarketOverrides.default(clock=clock), None


async def build(ctx: FeatureContext) -> Feature:
    from handlers import plans as plan_handlers
    from handlers import reports, trading
    from handlers import settings as settings_handlers

    settings = ctx.settings.exchange
    # The factory builds the public client of PRICE_FEED=exchange, so the engine gets its feed
    # once both exist.
    paper = PaperEngine(ctx.db, StaticFeed(clock=ctx.clock), settings, clock=ctx.clock)
    factory = ExchangeFactory(
        ctx.db, ctx.keystore, settings, paper, clock=ctx.clock, cache=ctx.kv.cache
    )
    feed, feed_closer = build_feed(settings, factory, ctx.clock)
    paper.feed = feed
    pin_attempts = PinAttempts(ctx.kv.cache, ctx.kv.locks, ctx.clock)  # shared via ctx.kv
    service = TradingService(
        ctx.db,
        factory,
        locks=ctx.kv.locks,
        pin_attempts=pin_attempts,
        notifier=ctx.notifier,
        messages=OrderHtml(),
        settings=settings,
        confirm_ttl_s=ctx.settings.security.confirm_ttl_s,
        metrics=ctx.metrics,
        clock=ctx.clock,
    )

    plans = TradePlanService(
        ctx.db,
        factory,
        locks=ctx.kv.locks,
        pin_attempts=pin_attempts,
        messages=PlanHtml(),
        metrics=ctx.metrics,
        default_quote=settings.paper_quote,
        clock=ctx.clock,
    )

    async def reconcile_at_start() -> None:
        changed = await service.reconcile()
        await service.notify_changes()
        if changed:
            log.warning("orders_reconciled_at_start", count=changed)
        resumed = await plans.resume()  # legs a crash left stored but maybe unsent
        if resumed:
            log.warning("plans_resumed_at_start", count=resumed)

    async def maintenance(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await service.run_maintenance()
                await plans.run_pass()
            except Exception:  # keep the job alive; the orders stay for the next pass
                log.exception("trading_maintenance_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.reconcile_interval_s)

    closers: list[Callable[[], Awaitable[None]]] = [factory.aclose]
    if feed_closer is not None:
        closers.append(feed_closer)
    return Feature(
        services={
            "trading_service": service,
            "plan_service": plans,
            "report_service": ReportService(ctx.db, factory, clock=ctx.clock),
        },
        exchange_factory=factory,
        routers=[
            trading.routes.build(),
            plan_handlers.routes.build(),
            reports.routes.build(),
            settings_handlers.routes.build(),
        ],
        start_hooks=[reconcile_at_start],
        background=[maintenance],
        closers=closers,
    )
