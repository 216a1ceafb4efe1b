"""Wiring of the accounts feature: exchange accounts, the trading PIN, plain-language commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from bot.features import Feature, FeatureContext

log = structlog.get_logger(__name__)


async def build(ctx: FeatureContext) -> Feature:
    trading = ctx.services.get("trading_service")
    factory = ctx.exchange_factory
    if trading is None or factory is None:
        # Both come from the trading feature, built first; without it there is nothing to
        # connect accounts to or to trade with.
        log.warning("accounts_feature_disabled", reason="no trading_service/exchange_factory")
        return Feature()
    # imported here: importing the handlers registers their commands for /help and RBAC
    from handlers import accounts as accounts_handlers
    from handlers import plain_language as plain_language_handlers
    from services.accounts import AccountService
    from services.intents import AIIntentParser
    from services.pin_attempts import PinAttempts
    from services.plain_language import PlainLanguageService

    accounts = AccountService(
        ctx.db,
        ctx.keystore,
        factory,
        trading,
        users=ctx.users,
        # the same record and lock as the trading feature's: both live in ctx.kv
        pin_attempts=PinAttempts(ctx.kv.cache, ctx.kv.locks, ctx.clock),
        clock=ctx.clock,
        form_ttl_s=ctx.settings.redis.fsm_ttl_s,  # the /connect form's own expiry
        require_ip_restriction=ctx.settings.security.require_key_ip_restriction,
        unchecked_allowed=ctx.settings.keys.unchecked_key_exchanges,
    )
    closers: list[Callable[[], Awaitable[None]]] = []
    ai = None
    ai_settings = ctx.settings.ai
    if ai_settings.enabled and ai_settings.openai_api_key is not None:
        ai = AIIntentParser.from_config(
            api_key=ai_settings.openai_api_key.get_secret_value(),
            model=ai_settings.model,
            base_url=ai_settings.openai_base_url,
            timeout=ai_settings.timeout_s,
        )
        closers.append(ai.aclose)
    plain_language = PlainLanguageService(
        ctx.db,
        trading,
        pins=accounts,
        ai=ai,
        ttl_s=ctx.settings.security.confirm_ttl_s,
        clock=ctx.clock,
    )
    return Feature(
        services={"account_service": accounts, "plain_language_service": plain_language},
        routers=[accounts_handlers.routes.build(), plain_language_handlers.routes.build()],
        closers=closers,
    )
