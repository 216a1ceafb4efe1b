"""Wiring of the tracking feature: the price tracker's pass (a background job), scores, charts.

The candles come from ``TRACKER_CANDLES_DIR`` when set (freqtrade's layout), else from the
price feed: the replay's candles moved onto the wall clock, or the exchange's 1-minute candles
(``PRICE_FEED=exchange``); static prices have no candles, so their signals end ``no_data``
after their fill window. The in-chat backtest (/backtest) reads the same store or feed's
candles at their own times (none for exchange candles or static prices).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import structlog

from bot.features import Feature, FeatureContext
from handlers import backtest, tracking
from handlers.tracking_render import TrackerHtml
from services.backtest.service import BacktestService
from services.charts import ChartRenderer
from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.feeds import ExchangeTickerFeed, ReplayFeed
from services.sources import SourceService
from services.tracking.candle_source import (
    CandleSource,
    ExchangeCandleSource,
    NoCandleSource,
    ReplayCandleSource,
    StoreCandleSource,
)
from services.tracking.candle_store import DirectoryCandleStore
from services.tracking.service import TrackingService
from services.tracking.tracker import Tracker, TrackerSettings

log = structlog.get_logger(__name__)


def candle_source(ctx: FeatureContext) -> CandleSource:
    folder = ctx.settings.tracking.candles_dir
    if folder is not None:
        return StoreCandleSource(DirectoryCandleStore(folder), name=f"candles in {folder}")
    factory = ctx.exchange_factory
    feed = factory.paper.feed if factory is not None else None
    if isinstance(feed, ReplayFeed) and feed.wall_offset() is not None:
        return ReplayCandleSource(feed)
    if isinstance(feed, ExchangeTickerFeed) and isinstance(feed.client, CcxtExchangeClient):
        return ExchangeCandleSource(feed.client)
    return NoCandleSource()


async def build(ctx: FeatureContext) -> Feature:
    settings = ctx.settings.tracking
    sources: SourceService | None = ctx.services.get("source_service")
    if sources is None:  # built by the signals feature, which comes first
        raise RuntimeError("the tracking feature needs the signals feature built before it")
    candles = candle_source(ctx)
    tracker = Tracker(
        ctx.db,
        candles,
        TrackerHtml(),
        TrackerSettings(
            fill_window=timedelta(hours=settings.fill_window_h),
            max_life=timedelta(days=settings.max_life_d),
            notify_max_age=timedelta(hours=settings.notify_max_age_h),
        ),
        clock=ctx.clock,
    )
    service = TrackingService(
        ctx.db,
        tracker,
        candles,
        sources,
        ChartRenderer(clock=ctx.clock),
        top_min_signals=settings.top_min_signals,
        clock=ctx.clock,
        cache=ctx.kv.cache,
    )

    async def track(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                changed = await service.run_pass()
                if changed:
                    log.info("tracker_pass", changed=changed, candles=candles.name)
            except Exception:  # keep the job alive; the next pass recomputes from scratch
                log.exception("tracker_pass_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.interval_s)

    backtests = BacktestService(
        ctx.db,
        candles.store if isinstance(candles, StoreCandleSource | ReplayCandleSource) else None,
        threshold=ctx.settings.ai.parser_threshold,
        duplicate_window=timedelta(seconds=ctx.settings.limits.signal_duplicate_window_s),
    )
    return Feature(
        services={"tracking_service": service, "backtest_service": backtests},
        routers=[tracking.routes.build(), backtest.routes.build()],
        background=[track] if settings.enabled else [],
    )
