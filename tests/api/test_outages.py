"""A database or Redis failing mid-request is a 503 with Retry-After in the one error shape
(never a 500), and /readyz says which service is down."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from api.app import create_api
from bot.features.api import api_deps
from core.outages import is_outage
from services.api_auth import ApiAuthService, Principal
from services.api_auth.tokens import AccessTokens
from tests.api.conftest import SECRET, api_settings, error_of, parts_of, serve
from tests.bot.conftest import AppFactory
from tests.fakes.clock import FakeClock


class DatabaseAway(ApiAuthService):
    """The auth service as it behaves while PostgreSQL refuses connections."""

    async def authenticate(self, access_token: str) -> Principal:
        try:
            raise ConnectionRefusedError(111, "Connect call failed")
        except ConnectionRefusedError as exc:
            raise OperationalError("SELECT 1", {}, exc) from exc


async def down() -> bool:
    return False


async def test_a_backend_failing_mid_request_is_503(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app(api=api_settings())
    deps = api_deps(parts_of(app, clock), secret=SECRET)
    deps.auth = DatabaseAway(
        app.db,
        app.users,
        AccessTokens(SECRET, clock=clock),
        bot_token=None,
        webapp_max_age=timedelta(hours=1),
    )
    deps.checks["redis"] = down
    async with serve(create_api(deps)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/api/v1/me", headers={"Authorization": "Bearer x.y.z"})
        assert response.status_code == 503
        assert error_of(response)["code"] == "unavailable"
        assert response.headers["Retry-After"] == "5"
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "down",
            "checks": {"database": "ok", "redis": "down"},
        }


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (ConnectionResetError(), True),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), True),
        (TimeoutError(), True),
        (FileNotFoundError("candles.feather"), False),
        (ValueError("bug"), False),
    ],
    ids=["reset", "refused-everywhere", "timeout", "missing-file", "bug"],
)
def test_what_counts_as_an_outage(exc: BaseException, outage: bool) -> None:
    assert is_outage(exc) is outage
