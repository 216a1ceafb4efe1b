"""CORS from ``CORS_ORIGINS``: none by default; listed origins only when set."""

from __future__ import annotations

from tests.api.conftest import api_settings, served
from tests.bot.conftest import AppFactory
from tests.fakes.clock import FakeClock

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,idempotency-key",
}


async def test_no_cross_origin_calls_by_default(make_app: AppFactory, clock: FakeClock) -> None:
    app = await make_app(api=api_settings())
    async with served(app, clock) as api:
        response = await api.client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in response.headers
        preflight = await api.client.options(
            "/api/v1/plans/1/close", headers={"Origin": "https://evil.example", **PREFLIGHT}
        )
        assert "access-control-allow-origin" not in preflight.headers


async def test_listed_origins_only(make_app: AppFactory, clock: FakeClock) -> None:
    app = await make_app(api=api_settings(cors_origins="https://app.example, https://b.example/"))
    assert app.settings.api.cors_origins == ["https://app.example", "https://b.example"]
    async with served(app, clock) as api:
        allowed = await api.client.options(
            "/api/v1/plans/1/close", headers={"Origin": "https://app.example", **PREFLIGHT}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()
        other = await api.client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
