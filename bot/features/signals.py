"""Wiring of the signals feature: its services, routers and lifecycle hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.features import Feature, FeatureContext
from handlers import channel_posts, signals, sources
from handlers.signals_render import SignalHtml
from services.signals import SignalService, SignalTrading
from services.sources import SourceService

if TYPE_CHECKING:
    from services.signal_parser.ai import AIParser


async def build(ctx: FeatureContext) -> Feature:
    from bot.app import build_ai_parser

    trading: SignalTrading | None = ctx.services.get("trading_service")
    if trading is None:  # built by the trading feature, which comes first
        raise RuntimeError("the signals feature needs the trading feature built before it")
    messages = SignalHtml()
    ai: AIParser | None = build_ai_parser(ctx.settings)
    source_service = SourceService(ctx.db, ctx.kv.cache, messages)
    signal_service = SignalService(
        ctx.db,
        source_service,
        trading,
        messages,
        ai=ai,
        threshold=ctx.settings.ai.parser_threshold,
        forward_max_age_h=ctx.settings.limits.forward_max_age_h,
        default_quote=ctx.settings.exchange.paper_quote,
        clock=ctx.clock,
    )
    closers: list[Callable[[], Awaitable[None]]] = [ai.aclose] if ai is not None else []
    return Feature(
        services={"signal_service": signal_service, "source_service": source_service},
        routers=[sources.routes.build(), channel_posts.routes.build(), signals.routes.build()],
        closers=closers,
    )
