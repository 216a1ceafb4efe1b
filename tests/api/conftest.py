"""The REST API under test: the bot built by ``make_app`` (PostgreSQL + Redis, fake Bot API),
its API served by a real uvicorn on 127.0.0.1 in the test's event loop, and an httpx client.

``api.sign_in(telegram_id, role)`` makes the user, gives them the role, makes a key in the
service the chat's /apikey calls and exchanges it over HTTP; viewers (no API key right) sign
in through the Mini App's initData, signed as Telegram signs it. The API's auth runs on a
``FakeClock`` (``api.clock``) so token expiry is a test's choice.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn

from api.app import create_api
from bot.app import App
from bot.features.api import api_deps
from core.cache import KeyValue
from core.clock import Clock
from core.config import Settings
from core.db.session import Database
from core.domain import Role
from core.metrics import Metrics
from handlers.deps import Services
from services.api_auth import Scope
from services.api_auth.webapp import sign_init_data
from services.notifications import OutboxNotifier
from services.users import UserService
from tests.bot.conftest import AppFactory, make_app, telegram_api
from tests.fakes.clock import FakeClock

__all__ = ["make_app", "telegram_api"]

SECRET: Final = b"api-tests-" + b"k" * 32
API: Final = {"jwt_secret": SECRET.decode(), "rate_per_minute": 60_000, "rate_burst": 10_000}
START_TIMEOUT_S: Final = 10.0


@dataclass
class Parts:
    """The app's objects with the API's own clock (``bot.features.api.Parts``)."""

    settings: Settings
    db: Database
    kv: KeyValue
    users: UserService
    notifier: OutboxNotifier
    metrics: Metrics
    clock: Clock
    services: Services


@asynccontextmanager
async def serve(asgi: Any) -> AsyncIterator[str]:
    """``asgi`` on a real uvicorn on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(asgi, log_config=None, access_log=False, lifespan="off")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before serving")
                await asyncio.sleep(0.01)  # readiness poll of the server just started
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Api:
    app: App
    url: str
    client: httpx.AsyncClient
    clock: FakeClock

    @property
    def bot_token(self) -> str:
        token = self.app.settings.telegram.bot_token
        assert token is not None
        return token.get_secret_value()

    async def key(self, telegram_id: int, role: Role, scope: Scope = Scope.TRADE) -> str:
        """A key of the user's (given ``role``), as /apikey makes it."""
        user = await self.app.users.grant_role(None, telegram_id, role)
        made = await self.app.services["apikey_service"].create(user, scope)
        return made.secret

    def init_data(self, telegram_id: int, *, age_s: int = 0, **user: Any) -> str:
        fields = {
            "auth_date": str(int(self.clock().timestamp()) - age_s),
            "query_id": "AAF",
            "user": json.dumps({"id": telegram_id, "first_name": "Test", **user}),
        }
        fields["hash"] = sign_init_data(fields, self.bot_token)
        return urlencode(fields)

    async def sign_in(
        self, telegram_id: int, role: Role, scope: Scope = Scope.TRADE
    ) -> dict[str, Any]:
        """A token pair: by key for roles with API access, by initData for viewers."""
        if role is Role.VIEWER or scope is Scope.WEBAPP:
            await self.app.users.grant_role(None, telegram_id, role)
            response = await self.client.post(
                "/api/v1/auth/webapp", json={"init_data": self.init_data(telegram_id)}
            )
        else:
            key = await self.key(telegram_id, role, scope)
            response = await self.client.post("/api/v1/auth/token", json={"api_key": key})
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    async def headers(
        self, telegram_id: int, role: Role, scope: Scope = Scope.TRADE
    ) -> dict[str, str]:
        tokens = await self.sign_in(telegram_id, role, scope)
        return {"Authorization": f"Bearer {tokens['access_token']}"}


def parts_of(app: App, clock: Clock) -> Parts:
    return Parts(
        settings=app.settings,
        db=app.db,
        kv=app.kv,
        users=app.users,
        notifier=app.notifier,
        metrics=app.metrics,
        clock=clock,
        services=app.services,
    )


@asynccontextmanager
async def served(app: App, clock: FakeClock) -> AsyncIterator[Api]:
    """The API of ``app`` on uvicorn with a client for it."""
    asgi = create_api(api_deps(parts_of(app, clock), secret=SECRET))
    async with serve(asgi) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield Api(app=app, url=url, client=client, clock=clock)


def api_settings(**api: Any) -> dict[str, Any]:
    return {**API, **api}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def api(make_app: AppFactory, clock: FakeClock) -> AsyncIterator[Api]:
    app = await make_app(api=api_settings())
    async with served(app, clock) as running:
        yield running


def error_of(response: httpx.Response) -> dict[str, str]:
    """The one error shape, checked; returns its ``error`` object."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    error: dict[str, str] = body["error"]
    return error
