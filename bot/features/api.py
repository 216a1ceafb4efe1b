"""Wiring of the REST API (issue 12): the ``/apikey`` commands, the services the API calls,
and, with ``API_ENABLED``, the API served by uvicorn inside ``tsbot run`` (a background job);
``tsbot api`` serves it alone through ``serve_api``.

It comes last among the features: the API is built over the services the others made (the
same objects the chat uses, none duplicated). The signing secret is ``API_JWT_SECRET``; in
development without one, a random secret lives as long as the process (access tokens die with
it, refresh tokens keep working).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

import structlog
import uvicorn

from bot.features import Feature, FeatureContext, Job
from core.cache import KeyValue
from core.clock import Clock
from core.config import Settings
from core.config_api import production_problems
from core.db.session import Database
from core.errors import ConfigError
from core.heap import settle_heap
from core.metrics import Metrics
from handlers import apikeys, trading_render
from handlers.deps import Services
from handlers.trading_callbacks import confirm_keyboard
from services.api_auth import ApiAuthService, ApiKeyService
from services.api_auth.tokens import AccessTokens
from services.api_orders import ApiOrderService, Buttons
from services.catalog import Catalog
from services.idempotency import Idempotency
from services.notifications import OutboxNotifier
from services.pin_attempts import PinAttempts
from services.trading_dto import OrderPlan
from services.users import UserService

if TYPE_CHECKING:  # the api package is imported only when the API is built (below)
    from api.deps import ApiDeps, HealthCheck
    from bot.app import App

log = structlog.get_logger(__name__)


class Parts(Protocol):
    """What the API is built from: a ``FeatureContext`` (inside ``tsbot run``) or an ``App``."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def kv(self) -> KeyValue: ...
    @property
    def users(self) -> UserService: ...
    @property
    def notifier(self) -> OutboxNotifier: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def services(self) -> Services: ...


class ChatOrderCards:
    """The chat's Confirm card of a live order (handlers/trading_render.py and its buttons)."""

    def confirm_card(self, plan: OrderPlan, ttl_s: int) -> tuple[str, Buttons]:
        rows = confirm_keyboard(plan.token).inline_keyboard
        buttons = [[b.model_dump(exclude_none=True) for b in row] for row in rows]
        return trading_render.plan(plan, ttl_s), buttons


def signing_secret(settings: Settings) -> bytes:
    """``API_JWT_SECRET``; in production ``ConfigError`` without a good one (the API is about
    to be served), elsewhere a random one for this process."""
    if settings.is_production:
        problems = production_problems(settings.api, serving=True)
        if problems:
            raise ConfigError(problems)
    secret = settings.api.jwt_secret
    if secret is not None:
        return secret.get_secret_value().encode()
    log.warning("api_jwt_secret_made_up", hint="set API_JWT_SECRET to keep tokens valid")
    return secrets.token_bytes(32)


def api_deps(parts: Parts, secret: bytes | None = None) -> ApiDeps:
    """The API's collaborators from the composition root's objects."""
    from api.deps import ApiDeps

    settings, services = parts.settings, parts.services
    token = settings.telegram.bot_token
    auth = ApiAuthService(
        parts.db,
        parts.users,
        AccessTokens(secret or signing_secret(settings), clock=parts.clock),
        bot_token=token.get_secret_value() if token is not None else None,
        webapp_max_age=timedelta(seconds=settings.api.webapp_max_age_s),
        clock=parts.clock,
    )
    trading = services.get("trading_service")
    checks: dict[str, HealthCheck] = {"database": parts.db.health}
    if parts.kv.is_redis:
        checks["redis"] = parts.kv.health
    return ApiDeps(
        settings=settings.api,
        auth=auth,
        users=parts.users,
        limiter=parts.kv.limiter,
        catalog=Catalog(parts.db),
        idempotency=Idempotency(parts.db, clock=parts.clock),
        sources=services.get("source_service"),
        signals=services.get("signal_service"),
        tracking=services.get("tracking_service"),
        trading=trading,
        plans=services.get("plan_service"),
        orders=(
            ApiOrderService(trading, parts.notifier, ChatOrderCards())
            if trading is not None
            else None
        ),
        admin=services.get("admin_service"),
        checks=checks,
        metrics=parts.metrics.render,
    )


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside ``tsbot run``: the bot owns the process's signals, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def server_config(deps: ApiDeps, host: str, port: int) -> uvicorn.Config:
    from api.app import create_api

    return uvicorn.Config(
        create_api(deps),
        host=host,
        port=port,
        log_config=None,  # structlog's setup stays in charge
        access_log=False,
        lifespan="off",
        server_header=False,
    )


async def build(ctx: FeatureContext) -> Feature:
    keys = ApiKeyService(ctx.db, PinAttempts(ctx.kv.cache, ctx.kv.locks, ctx.clock), ctx.clock)
    settings = ctx.settings.api
    background: list[Job] = []
    if settings.enabled:

        async def serve(stop: asyncio.Event) -> None:
            server = EmbeddedServer(server_config(api_deps(ctx), settings.host, settings.port))
            task = asyncio.create_task(server.serve(), name="api-server")
            log.info("api_server_started", host=settings.host, port=settings.port)
            waiting = asyncio.create_task(stop.wait())
            await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            waiting.cancel()
            await task

        background.append(serve)
    return Feature(
        services={"apikey_service": keys},
        routers=[apikeys.routes.build()],
        background=background,
    )


async def serve_api(app: App, host: str, port: int) -> None:
    """``tsbot api``: serve the API alone until interrupted (uvicorn handles the signals)."""
    server = uvicorn.Server(server_config(api_deps(app), host, port))
    log.info("api_server_started", host=host, port=port, frozen_objects=settle_heap())
    await server.serve()
