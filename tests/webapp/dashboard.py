"""A bot with something to show in the Mini App, and the API serving it.

One approved channel ("Alpha <calls>", markup in its name on purpose) posted a BTC/USDT long
ten minutes ago; its one-minute candles (freqtrade's layout) fill it, hit TP1 and then the
stop, so the tracker scores the source and both charts have candles to draw. The trader
follows it in auto mode on the paper exchange (prices set by hand): the entry filled at
60,900, so the trader holds BTC in an active plan, the one the Close button closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import App
from bot.features.api import api_deps
from tests.api.conftest import serve
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory, feed
from tests.bot.plans.helpers import STATIC, market
from tests.bot.tracking.test_tracking import write_candles
from tests.fakes.telegram_api import FakeTelegramAPI

CHANNEL = -1001234567890
OWNER_ID = 5005
TITLE = "Alpha <calls>"
ENTRY = "BTC/USDT LONG\nEntry: 60000-61000\nTP1: 62000\nTP2: 64000\nSL: 58000"
SIGNING_SECRET = b"webapp-tests-" + b"s" * 32
SETTINGS = {
    "exchange": STATIC,
    "tracking": {"enabled": False, "top_min_signals": 1},
    "limits": {"rate_limit_burst": 1000, "outbox_chat_per_s": 1000},
}


@dataclass(frozen=True)
class Dashboard:
    app: App
    url: str  # the Mini App: <server>/app/
    bot_token: str  # what Telegram signs initData with
    plan_id: int | None  # the trader's active plan (none on an unseeded bot)


def api_for(app: App) -> object:
    """The API app over the bot's own services (what ``tsbot api`` serves)."""
    from api.app import create_api

    return create_api(api_deps(app, secret=SIGNING_SECRET))


@asynccontextmanager
async def bare(make_app: AppFactory, **sections: dict[str, Any]) -> AsyncIterator[Dashboard]:
    """An unseeded bot built with ``sections`` and its API on a real uvicorn."""
    app = await make_app(**sections)
    token = app.settings.telegram.bot_token
    assert token is not None
    async with serve(api_for(app)) as base:
        yield Dashboard(app, f"{base}/app/", token.get_secret_value(), None)


async def fill(app: App, telegram_api: FakeTelegramAPI, candles: Path) -> int:
    """Seed the story above; returns the trader's plan id."""
    await feed(
        app,
        telegram_api.updates.my_chat_member(CHANNEL, OWNER_ID, chat_type="channel", title=TITLE),
    )
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/source approve 1"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1 auto 100"))
    posted = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    post = telegram_api.updates.channel_post(CHANNEL, ENTRY)
    post["channel_post"]["date"] = int(posted.timestamp())
    await feed(app, post)
    write_candles(
        candles,
        posted - timedelta(minutes=1),
        [
            (61500, 61600, 61400, 61500),  # before the post: never counts
            (61500, 61600, 60900, 61200),  # the entry fills
            (61200, 62100, 61100, 62000),  # TP1
            (62000, 62050, 57900, 58000),  # the stop
            (58000, 58100, 57000, 57500),
        ],
    )
    await market(app, "60900")  # the trader's paper entry fills: an active plan holding BTC
    await app.services["tracking_service"].run_pass()
    trader = await app.users.get(TRADER_ID)
    assert trader is not None
    [plan] = await app.services["plan_service"].open_plans(trader)
    assert plan.held > 0, plan
    return plan.id
