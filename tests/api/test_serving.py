"""How the API is served: inside ``tsbot run`` with ``API_ENABLED`` (the api feature's
background job on uvicorn, stopped with the bot), and alone as ``tsbot api`` in a second
process, where a session revoked through this process is refused on its very next request."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Final

import httpx
import pytest

from bot.app import App
from core.domain import Role
from tests.api.conftest import SECRET, api_settings, served
from tests.bot.conftest import TRADER_ID, AppFactory
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.processes import spawn_bot
from tests.services import RedisServer, free_port

START_S: Final = 60.0


async def wait_ready(url: str, process: asyncio.subprocess.Process | None = None) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client, asyncio.timeout(START_S):
        while True:
            if process is not None and process.returncode is not None:
                raise AssertionError(f"tsbot api exited with {process.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)  # polling a server that is starting


async def test_tsbot_run_serves_the_api_when_enabled(make_app: AppFactory) -> None:
    port = free_port()
    app = await make_app(api=api_settings(enabled=True, port=port))
    job = app.background[-1]  # the api feature is built last
    stop = asyncio.Event()
    task = asyncio.create_task(job(stop))
    url = f"http://127.0.0.1:{port}"
    await wait_ready(url)
    async with httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/readyz")).json()["status"] == "ok"
        assert (await client.get("/api/v1/me")).status_code == 401
    stop.set()
    await asyncio.wait_for(task, 10)
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient(base_url=url) as client:
            await client.get("/healthz")


async def test_disabled_by_default(make_app: AppFactory) -> None:
    app = await make_app()
    assert not any(getattr(job, "__name__", "") == "serve" for job in app.background)


async def start_tsbot_api(app: App, redis: RedisServer, port: int) -> asyncio.subprocess.Process:
    token = app.settings.telegram.bot_token
    assert token is not None
    env = {
        **os.environ,
        "BOT_TOKEN": token.get_secret_value(),
        "DATABASE_URL": app.db.url,
        "REDIS_URL": redis.url(),
        "API_JWT_SECRET": SECRET.decode(),
        "LOG_LEVEL": "WARNING",
    }
    return await spawn_bot(
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
    )


@pytest.mark.slow
async def test_a_revocation_is_seen_by_tsbot_api_in_another_process(
    make_app: AppFactory,
    redis_srv: RedisServer,
    telegram_api: FakeTelegramAPI,
    clock: FakeClock,
) -> None:
    app = await make_app(api=api_settings())
    port = free_port()
    process = await start_tsbot_api(app, redis_srv, port)
    try:
        other = f"http://127.0.0.1:{port}"
        await wait_ready(other, process)
        async with served(app, clock) as here, httpx.AsyncClient(base_url=other) as there:
            tokens = await here.sign_in(TRADER_ID, Role.TRADER)
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            assert (await there.get("/api/v1/me", headers=headers)).status_code == 200
            ready = (await there.get("/readyz")).json()
            assert ready["checks"] == {"database": "ok", "redis": "ok"}
            revoked = await here.client.post(
                "/api/v1/auth/revoke", json={"refresh_token": tokens["refresh_token"]}
            )
            assert revoked.status_code == 200
            assert (await there.get("/api/v1/me", headers=headers)).status_code == 401
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    assert "Traceback" not in stderr, stderr
