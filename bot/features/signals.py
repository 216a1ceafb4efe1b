"""Wiring of the signals feature: its services, routers and lifecycle hooks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Final

import structlog

from bot.features import Feature, FeatureContext
from handlers import channel_posts, following, signals, sources
from handlers.signals_render import SignalHtml
from handlers.sources_render import SourceApprovalHtml
from services.signals import SignalService
from services.source_heartbeat import SourceHeartbeat
from services.sources import SourceService
from services.trade_plans.following import FollowingService
from services.trading import TradingService

if TYPE_CHECKING:
    from services.signal_parser.ai import AIParser


log = structlog.get_logger(__name__)

HEARTBEAT_EVERY_S: Final = 900  # how often silent sources are looked for


async def build(ctx: FeatureContext) -> Feature:
    from bot.app import build_ai_parser

    trading: TradingService | None = ctx.services.get("trading_service")
    if trading is None:  # built by the trading feature, which comes first
        raise RuntimeError("the signals feature needs the trading feature built before it")
    messages = SignalHtml()
    silence = timedelta(hours=ctx.settings.limits.source_silence_h)
    heartbeat = SourceHeartbeat(ctx.db, messages, silence, ctx.clock)
    ai: AIParser | None = build_ai_parser(ctx.settings)
    source_service = SourceService(ctx.db, ctx.kv.cache, messages, approvals=SourceApprovalHtml())
    signal_service = SignalService(
        ctx.db,
        source_service,
        trading,
        messages,
        ai=ai,
        threshold=ctx.settings.ai.parser_threshold,
        forward_max_age_h=ctx.settings.limits.forward_max_age_h,
        duplicate_window_s=ctx.settings.limits.signal_duplicate_window_s,
        default_quote=ctx.settings.exchange.paper_quote,
        plans=ctx.services.get("plan_service"),
        heartbeat=heartbeat,
        prices=ctx.exchange_factory.paper.feed if ctx.exchange_factory is not None else None,
        entry_far_pct=ctx.settings.signal_checks.entry_far_pct,
        price_timeout_s=ctx.settings.signal_checks.price_timeout_s,
        clock=ctx.clock,
    )
    following_service = FollowingService(
        ctx.db,
        signal_service,
        source_service,
        trading,
        min_notional=ctx.settings.exchange.paper_min_notional,
        quote=ctx.settings.exchange.paper_quote,
    )
    closers: list[Callable[[], Awaitable[None]]] = [ai.aclose] if ai is not None else []

    async def listen(stop: asyncio.Event) -> None:
        """Every so often: sources silent for too long are told to their owners and admins."""
        while not stop.is_set():
            try:
                await heartbeat.report_silent()
            except Exception:  # keep the job; the next round looks again
                log.exception("source_heartbeat_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT_EVERY_S)

    return Feature(
        services={
            "signal_service": signal_service,
            "source_service": source_service,
            "following_service": following_service,
        },
        routers=[
            sources.routes.build(),
            channel_posts.routes.build(),
            following.routes.build(),
            signals.routes.build(),
        ],
        closers=closers,
        background=[listen] if silence else [],
    )
