"""F1 through the real webhook: a channel post delivered five times at once, whose handler runs
"70 s" (blocked on an event while the app's clock moves past the inbox lease), redelivered five
more times at 60 s as Telegram does when it gets no answer in time, and a recovery pass while it
still runs: one handler run, one signal, one entry order for the auto follower on paper, and
every delivery answered 200.

No fixed sleeps: the handler waits on an ``asyncio.Event``; the lease renewals and the recovery
pass the app runs in the background are called here at the times they would run on the moved
clock (every third of the lease, and after it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.types import TelegramObject
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import App
from bot.runners import SECRET_HEADER, webhook_app
from core.clock import utc_now
from core.db.models import InboxUpdate, Order, Signal, TradePlan
from core.domain import InboxStatus
from tests.bot.conftest import TRADER_ID, AppFactory, feed
from tests.bot.signals.test_intake import CHANNEL, ENTRY, register
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI

SECRET = "w" * 40
STATIC = {"price_feed": "static", "static_prices": {"BTC/USDT": "60500"}}
LEASE_S = 60  # the default INBOX_LEASE, as long as Telegram waits for an answer
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class SlowChannelPosts:
    """An outer middleware on channel posts: counts handler runs and holds the first one until
    ``release`` is set (the handler "runs" for as long as the test wants)."""

    def __init__(self) -> None:
        self.runs = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        self.runs += 1
        if self.runs == 1:
            self.entered.set()
            await self.release.wait()
        return await handler(event, data)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc_now())


@pytest.fixture
async def app(make_app: AppFactory, clock: FakeClock) -> App:
    """The app as wired, on paper with a static price, on a clock the test moves."""
    limits = {"inbox_lease_s": LEASE_S, "rate_limit_burst": 1000, "outbox_chat_per_s": 1000}
    return await make_app(clock=clock, exchange=STATIC, limits=limits)


async def deliver(
    webhook: TestClient[web.Request, web.Application], update: dict[str, Any], times: int = 5
) -> list[int]:
    """Telegram delivering the same update ``times`` times at once; the statuses answered."""
    responses = await asyncio.gather(
        *(
            webhook.post("/hook", json=update, headers={SECRET_HEADER: SECRET})
            for _ in range(times)
        )
    )
    return [response.status for response in responses]


async def test_a_70_s_channel_post_redelivered_at_60_s_trades_once(
    app: App, telegram_api: FakeTelegramAPI, clock: FakeClock
) -> None:
    await register(app, telegram_api)
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 50"))
    slow = SlowChannelPosts()
    app.dispatcher.channel_post.outer_middleware(slow)
    webhook = TestClient(TestServer(webhook_app(app, SECRET, "/hook")))
    await webhook.start_server()
    update = telegram_api.updates.channel_post(CHANNEL, ENTRY)

    assert await deliver(webhook, update) == [200] * 5
    await slow.entered.wait()
    for _ in range(3):  # 60 s of a slow handler; the app renews its lease every third of it
        clock.advance(LEASE_S / 3)
        assert await app.inbox.renew() == 1
    # Telegram had no answer it counts (ours was 200, but it re-sends on its own timeout too)
    assert await deliver(webhook, update) == [200] * 5
    clock.advance(10)  # 70 s: past the first lease, the recovery pass finds nothing to take
    assert await app.recover_inbox() == 0
    slow.release.set()
    await webhook.close()  # shutting the webhook down drains its handler tasks and done marks

    assert slow.runs == 1
    async with app.db.session() as session:
        signals = list(await session.scalars(select(Signal)))
        plans = list(await session.scalars(select(TradePlan)))
        orders = list(await session.scalars(select(Order)))
        row = await session.scalar(
            select(InboxUpdate).where(InboxUpdate.update_id == update["update_id"])
        )
    [entry] = [o for o in orders if "-e" in o.client_order_id]  # then TPs and stop, reduce-only
    assert len(signals) == 1 and len(plans) == 1
    assert entry.signal_id == signals[0].id and entry.plan_id == plans[0].id
    assert row is not None and row.status is InboxStatus.DONE
    assert app.metrics.inbox_duplicates._value.get() == 9
