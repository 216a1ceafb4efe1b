"""Wiring of the trading feature: price feed, paper engine, exchange factory, trading service,
its routers, the reconciler at start and the periodic maintenance job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from bot.features import Feature, FeatureContext
from core.clock import Clock
from core.config import ExchangeSettings
from handlers.trading_render import OrderHtml
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import ExchangeTickerFeed, PriceFeed, ReplayFeed, StaticFeed
from services.exchange.paper import PaperEngine
from services.pin_attempts import PinAttempts
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
        return ExchangeTickerFeed(client), client.close
    return ReplayFeed.default(clock=clock), None


async def build(ctx: FeatureContext) -> Feature:
    from handlers import trading

    settings = ctx.settings.exchange
    # The factory builds the public client of PRICE_FEED=exchange, so the engine gets its feed
    # once both exist.
    paper = PaperEngine(ctx.db, StaticFeed(clock=ctx.clock), settings, clock=ctx.clock)
    factory = ExchangeFactory(ctx.db, ctx.keystore, settings, paper, clock=ctx.clock)
    feed, feed_closer = build_feed(settings, factory, ctx.clock)
    paper.feed = feed
    service = TradingService(
        ctx.db,
        factory,
        locks=ctx.kv.locks,
        pin_attempts=PinAttempts(ctx.kv.cache, ctx.kv.locks, ctx.clock),  # shared via ctx.kv
        notifier=ctx.notifier,
        messages=OrderHtml(),
        settings=settings,
        confirm_ttl_s=ctx.settings.security.confirm_ttl_s,
        metrics=ctx.metrics,
        clock=ctx.clock,
    )

    async def reconcile_at_start() -> None:
        changed = await service.reconcile()
        await service.notify_changes()
        if changed:
            log.warning("orders_reconciled_at_start", count=changed)

    async def maintenance(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await service.run_maintenance()
            except Exception:  # keep the job alive; the orders stay for the next pass
                log.exception("trading_maintenance_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.reconcile_interval_s)

    closers: list[Callable[[], Awaitable[None]]] = [factory.aclose]
    if feed_closer is not None:
        closers.append(feed_closer)
    return Feature(
        services={"trading_service": service},
        exchange_factory=factory,
        routers=[trading.routes.build()],
        start_hooks=[reconcile_at_start],
        background=[maintenance],
        closers=closers,
    )
