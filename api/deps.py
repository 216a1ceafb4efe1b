"""What the API is built over (``ApiDeps``, handed in by the composition root) and the
per-request dependencies: the caller (``Caller``), the permission table, the write scope, and
the per-token rate limit.

Every endpoint declares what it needs with ``allow("<permission>")`` (core/permissions.py, the
table the chat commands use) and, for changes, ``write=True``: a read key is refused with 403.
The rate limit is per session (one per key sign-in or Mini App sign-in), through the app's
``RateLimiter`` (Redis when configured, so every process shares the budget).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import RateLimited
from core.cache import RateLimiter
from core.config_api import ApiSettings
from core.errors import Forbidden, ServiceUnavailable
from core.permissions import role_allows
from services.admin.service import AdminService
from services.api_auth import ApiAuthService, NotAuthenticated, Principal, Scope
from services.api_orders import ApiOrderService
from services.catalog import Catalog
from services.idempotency import Idempotency
from services.signals import SignalService
from services.sources import SourceService
from services.tracking.service import TrackingService
from services.trade_plans.service import TradePlanService
from services.trading import TradingService
from services.users import UserService

T = TypeVar("T")
HealthCheck = Callable[[], Awaitable[bool]]
AUTH_RATE_KEY = "api-auth:"  # sign-in attempts, per client address


@dataclass
class ApiDeps:
    """The services the API calls, and the app's health checks and metrics."""

    settings: ApiSettings
    auth: ApiAuthService
    users: UserService
    limiter: RateLimiter
    catalog: Catalog
    idempotency: Idempotency
    sources: SourceService | None = None
    signals: SignalService | None = None
    tracking: TrackingService | None = None
    trading: TradingService | None = None
    plans: TradePlanService | None = None
    orders: ApiOrderService | None = None
    admin: AdminService | None = None  # the admin tools the chat's admin commands use
    checks: dict[str, HealthCheck] = field(default_factory=dict)  # /readyz: name -> check
    metrics: Callable[[], bytes] | None = None


def get_deps(request: Request) -> ApiDeps:
    deps: ApiDeps = request.app.state.deps
    return deps


Deps = Annotated[ApiDeps, Depends(get_deps)]
bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/*")


async def current(
    deps: Deps,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller behind the bearer token, within their rate limit."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated()
    principal = await deps.auth.authenticate(credentials.credentials)
    await limit(deps, f"api:{principal.session_id}")
    return principal


async def limit(deps: ApiDeps, key: str) -> None:
    rate = deps.settings.rate_per_minute / 60
    decision = await deps.limiter.hit(key, rate=rate, burst=deps.settings.rate_burst)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)


async def limit_sign_in(request: Request, deps: Deps) -> None:
    """Sign-in endpoints: a budget per client address (guessing keys stays slow)."""
    host = request.client.host if request.client is not None else "unknown"
    await limit(deps, AUTH_RATE_KEY + host)


def allow(permission: str, *, write: bool = False, webapp_writes: bool = False) -> Any:
    """A dependency: the caller, when their role has ``permission`` and, for ``write``, their
    token may change things (a trade key; the Mini App too with ``webapp_writes``)."""

    async def check(principal: Annotated[Principal, Depends(current)]) -> Principal:
        if not role_allows(principal.user.role, permission):
            raise Forbidden(f"The {principal.user.role.value} role may not do that.")
        if write and not (
            principal.scope is Scope.TRADE or (webapp_writes and principal.scope is Scope.WEBAPP)
        ):
            raise Forbidden("This token is read-only: use a trade key (/apikey trade).")
        return principal

    return Depends(check)


def need(service: T | None) -> T:
    """A feature's service, or 503 when this process was built without it."""
    if service is None:
        raise ServiceUnavailable("That part of the bot is not running here.")
    return service
