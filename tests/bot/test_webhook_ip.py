"""T2 through the real webhook server: the optional IP allowlist reads ``X-Forwarded-For`` only
from a trusted proxy, and only its right-most untrusted entry, so a client that writes
``149.154.160.1`` into the header itself is refused.

The server listens on 127.0.0.1. A request from 127.0.0.1 stands for the trusted proxy (nginx on
the same host); one bound to 127.0.0.5 stands for a caller that reaches the port directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import TCPConnector, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import App
from bot.runners import SECRET_HEADER, webhook_app
from bot.webhook_ip import client_address, parse_address
from core.config_webhook_ip import WebhookIpSettings
from core.db.models import InboxUpdate
from tests.bot.conftest import TRADER_ID, AppFactory
from tests.fakes.telegram_api import FakeTelegramAPI

SECRET = "i" * 40
TELEGRAM = "149.154.160.0/20, 91.108.4.0/22"
PROXY = "127.0.0.1"  # the test client's own address: it plays the proxy
OUTSIDER = "127.0.0.5"  # a caller that reaches the webhook port without the proxy
Client = TestClient[web.Request, web.Application]
Post = Callable[..., Awaitable[int]]


@pytest.fixture
async def serve(make_app: AppFactory) -> AsyncIterator[Callable[..., Awaitable[tuple[App, Post]]]]:
    """Start the webhook of an app with the given ``webhook_ip`` settings; returns the app and a
    ``post(update, source=..., forwarded=..., secret=...)`` answering the status."""
    clients: list[Client] = []

    async def start(**webhook_ip: str) -> tuple[App, Post]:
        app = await make_app(webhook_ip=webhook_ip)
        server = TestServer(webhook_app(app, SECRET, "/hook"), host=PROXY)
        await server.start_server()
        by_source: dict[str, Client] = {}

        async def post(
            update: dict[str, Any] | str,
            *,
            source: str = PROXY,
            forwarded: list[str] | None = None,
            secret: str = SECRET,
        ) -> int:
            if source not in by_source:
                connector = TCPConnector(local_addr=(source, 0))
                by_source[source] = TestClient(server, connector=connector)
                await by_source[source].start_server()
                clients.append(by_source[source])
            headers = [(SECRET_HEADER, secret)] + [
                ("X-Forwarded-For", value) for value in forwarded or []
            ]
            body = {"data": update} if isinstance(update, str) else {"json": update}
            response = await by_source[source].post("/hook", headers=headers, **body)
            return response.status

        return app, post

    yield start
    for client in clients:
        await client.close()


async def stored(app: App) -> int:
    async with app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)


async def test_a_forged_telegram_address_through_the_proxy_is_refused(
    serve: Callable[..., Awaitable[tuple[App, Post]]], telegram_api: FakeTelegramAPI
) -> None:
    """The notes' test: ``X-Forwarded-For: 149.154.160.1`` sent from outside; nginx appends the
    address it saw (``$proxy_add_x_forwarded_for``). Refused before the body is read, with the
    right secret; nothing stored, nothing answered."""
    app, post = await serve(allowed_ips=TELEGRAM, trusted_proxies=PROXY)
    update = telegram_api.updates.message(TRADER_ID, "/start")
    assert await post(update, forwarded=["149.154.160.1, 203.0.113.7"]) == 403
    assert await post(update, forwarded=["149.154.160.1", "203.0.113.7"]) == 403  # two headers
    assert await post("not json", forwarded=["149.154.160.1, 203.0.113.7"]) == 403  # unread
    assert await post(update, forwarded=["149.154.160.1, not-an-address"]) == 403
    assert await post(update) == 403  # the proxy itself is not Telegram
    assert await stored(app) == 0
    assert telegram_api.calls_of("sendMessage") == []


@pytest.mark.parametrize(
    "forwarded",
    [["149.154.167.99"], ["6.6.6.6, 149.154.167.99"], ["149.154.167.99, 127.0.0.1"]],
    ids=["set-by-proxy", "appended-after-a-client-entry", "behind-two-trusted-proxies"],
)
async def test_telegram_through_the_trusted_proxy_is_accepted(
    serve: Callable[..., Awaitable[tuple[App, Post]]],
    telegram_api: FakeTelegramAPI,
    forwarded: list[str],
) -> None:
    app, post = await serve(allowed_ips=TELEGRAM, trusted_proxies=PROXY)
    assert (
        await post(telegram_api.updates.message(TRADER_ID, "/start"), forwarded=forwarded) == 200
    )
    await telegram_api.wait_for("sendMessage")
    assert await stored(app) == 1


async def test_a_direct_caller_is_judged_by_its_own_address(
    serve: Callable[..., Awaitable[tuple[App, Post]]], telegram_api: FakeTelegramAPI
) -> None:
    """No trusted proxy: the peer in the allowlist is accepted; a peer outside it is refused
    whatever ``X-Forwarded-For`` it sends; an allowed peer still needs the secret (401)."""
    app, post = await serve(allowed_ips=f"{TELEGRAM}, {PROXY}/32")
    assert await post(telegram_api.updates.message(TRADER_ID, "/start")) == 200
    await telegram_api.wait_for("sendMessage")
    other = telegram_api.updates.message(TRADER_ID, "/help")
    assert await post(other, source=OUTSIDER, forwarded=["149.154.160.1"]) == 403
    assert await post(other, forwarded=["203.0.113.7"], secret="wrong") == 401
    assert await stored(app) == 1


async def test_with_the_filter_off_every_address_is_treated_alike(
    serve: Callable[..., Awaitable[tuple[App, Post]]], telegram_api: FakeTelegramAPI
) -> None:
    """The default (empty ``WEBHOOK_ALLOWED_IPS``): only the secret decides, as before."""
    app, post = await serve()
    update = telegram_api.updates.message(TRADER_ID, "/start")
    assert await post(update, source=OUTSIDER, forwarded=["203.0.113.7"], secret="wrong") == 401
    assert await post(update, source=OUTSIDER, forwarded=["203.0.113.7"]) == 200
    await telegram_api.wait_for("sendMessage")
    assert await stored(app) == 1


PROXIES = WebhookIpSettings(trusted_proxies="10.0.0.0/8, 127.0.0.1").trusted_proxies


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.7", ["149.154.160.1"], "203.0.113.7"),
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["149.154.160.1, 203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1", ["149.154.160.1, 203.0.113.7, 10.1.2.3"], "203.0.113.7"),
        ("127.0.0.1", ["10.1.2.3, 10.4.5.6"], "10.1.2.3"),
        ("127.0.0.1", ["1.1.1.1", "149.154.167.99:443"], "149.154.167.99"),
        ("127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("127.0.0.1", ["149.154.160.1, unknown"], None),
        (None, ["149.154.160.1"], None),
    ],
    ids=[
        "direct-peer-header-ignored",
        "proxy-without-header",
        "right-most-not-left-most",
        "trusted-hops-skipped",
        "all-hops-trusted",
        "several-headers-and-a-port",
        "ipv6-with-port",
        "garbage-where-the-client-is",
        "no-peer",
    ],
)
def test_client_address(peer: str | None, forwarded: list[str], client: str | None) -> None:
    expected = parse_address(client) if client else None
    assert client_address(peer, forwarded, PROXIES) == expected
