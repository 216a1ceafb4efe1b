"""`tsbot run` serves /healthz and /metrics on the internal health port in polling *and*
webhook mode (the Docker HEALTHCHECK needs one endpoint both modes answer); the public webhook
port serves the webhook route and nothing else, so metrics never face the internet."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp

from bot.runners import SECRET_HEADER, serve
from tests.bot.conftest import TRADER_ID, AppFactory
from tests.fakes.telegram_api import FakeTelegramAPI

SECRET = "s" * 40


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


async def assert_health_served(http: aiohttp.ClientSession, port: int) -> None:
    status, body = await get(http, f"http://127.0.0.1:{port}/healthz")
    assert (status, body) == (200, '{"database": "ok", "redis": "ok"}')
    status, body = await get(http, f"http://127.0.0.1:{port}/metrics")
    assert status == 200 and "tsbot_updates_total" in body


async def test_polling_mode_serves_health_and_metrics(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    port = free_port()
    app = await make_app(health={"port": port})
    stop = asyncio.Event()
    running = asyncio.create_task(serve(app, stop))
    try:
        await telegram_api.wait_for("getUpdates")  # the health server starts before polling
        async with aiohttp.ClientSession() as http:
            await assert_health_served(http, port)
    finally:
        stop.set()
        await running


async def test_webhook_port_serves_only_the_webhook(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    hook_port, health_port = free_port(), free_port()
    telegram: dict[str, Any] = {
        "mode": "webhook",
        "webhook_secret": SECRET,
        "webhook_url": "https://bot.example.com/hook",
        "webhook_host": "127.0.0.1",
        "webhook_port": hook_port,
        "webhook_path": "/hook",
    }
    app = await make_app(telegram=telegram, health={"port": health_port})
    stop = asyncio.Event()
    running = asyncio.create_task(serve(app, stop))
    try:
        await telegram_api.wait_for("setWebhook")  # both servers listen by now
        async with aiohttp.ClientSession() as http:
            for path in ("/metrics", "/healthz"):
                status, _ = await get(http, f"http://127.0.0.1:{hook_port}{path}")
                assert status == 404
            update = telegram_api.updates.message(TRADER_ID, "/start")
            url = f"http://127.0.0.1:{hook_port}/hook"
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 200
            await assert_health_served(http, health_port)
    finally:
        stop.set()
        await running
