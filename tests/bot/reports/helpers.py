"""What the report tests share: a trader with a paper and a live account, plans stored as the
plan service leaves them (working or ended, with their P/L), and the reply to a command."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import ExchangeAccount, Source, TradePlan, User
from core.domain import MarketType, PlanStatus, Side
from core.security import KeyStore
from tests.bot.conftest import feed
from tests.fakes.exchange_api import DEFAULT_API_KEY
from tests.fakes.telegram_api import FakeTelegramAPI

D = Decimal


async def trader(app: App, telegram_api: FakeTelegramAPI, telegram_id: int) -> dict[str, int]:
    """``telegram_id`` registered, with a paper account and a live Binance account (the fake
    exchange's key) and a source ``@alpha``; their ids by name (``user``, ``paper``, ``live``,
    ``source``)."""
    await feed(app, telegram_api.updates.message(telegram_id, "/start"))
    secret = app.settings.security.encryption_key
    assert secret is not None
    keys = KeyStore([secret.get_secret_value().encode()])
    async with app.db.transaction() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert user is not None
        paper = ExchangeAccount(user_id=user.id, exchange_id="paper", label="paper", is_paper=True)
        live = ExchangeAccount(
            user_id=user.id,
            exchange_id="binance",
            label="main",
            api_key_enc=keys.encrypt(DEFAULT_API_KEY),
            secret_enc=keys.encrypt("s" * 64),
            key_hint="fake…6789",
            market_type=MarketType.SPOT,
        )
        source = await session.scalar(select(Source).where(Source.username == "alpha"))
        if source is None:
            source = Source(chat_id=-100_777, title="Alpha", username="alpha")
            session.add(source)
        session.add_all([paper, live])
        await session.flush()
        return {"user": user.id, "paper": paper.id, "live": live.id, "source": source.id}


async def add_plan(app: App, ids: dict[str, int], **values: Any) -> int:
    """A stored plan of ``ids["user"]``: BTC/USDT long on paper from @alpha unless ``values``
    say otherwise (``account="live"``, ``source=None``, any column)."""
    account = values.pop("account", "paper")
    source = values.pop("source", "alpha")
    row: dict[str, Any] = {
        "user_id": ids["user"],
        "account_id": ids[account],
        "source_id": ids["source"] if source else None,
        "symbol": "BTC/USDT",
        "side": Side.LONG,
        "status": PlanStatus.CLOSED,
        "targets": ["62000", "64000"],
        "tp_weights": ["0.5", "0.5"],
        "settings": {"_market": {"price_step": "0.01", "amount_step": "0.00001"}},
        **values,
    }
    for name in ("filled_qty", "closed_qty") if row["status"] is PlanStatus.CLOSED else ():
        row.setdefault(name, D("0.01"))
    async with app.db.transaction() as session:
        plan = TradePlan(**row)
        session.add(plan)
        await session.flush()
        return plan.id


async def closed(  # noqa: PLR0913 - a trade names its figures
    app: App,
    ids: dict[str, int],
    pnl: str,
    at: datetime,
    *,
    r: str | None = None,
    **values: Any,
) -> int:
    """A trade: 0.01 BTC bought at 60,000 (600 USDT) and closed at ``at`` with ``pnl``."""
    return await add_plan(
        app,
        ids,
        status=PlanStatus.CLOSED,
        avg_entry=D(60000),
        initial_stop=D(58000),
        realized_pnl=D(pnl),
        realized_r=None if r is None else D(r),
        close_reason="tp" if D(pnl) > 0 else "stop",
        created_at=at,
        closed_at=at,
        **values,
    )


async def reply(app: App, telegram_api: FakeTelegramAPI, telegram_id: int, text: str) -> str:
    """Send ``text`` as ``telegram_id`` and return what the bot answered (joined when split)."""
    before = len(telegram_api.calls_of("sendMessage"))
    await feed(app, telegram_api.updates.message(telegram_id, text))
    sent = [
        c["text"]
        for c in telegram_api.calls_of("sendMessage")[before:]
        if c["chat_id"] == telegram_id
    ]
    assert sent, f"no reply to {text!r}"
    return "\n".join(str(s) for s in sent)


def tables(html: str) -> list[list[list[str]]]:
    """The ``<pre>`` tables of a reply, each as its rows of cells (split at spaces)."""
    blocks = [part.split("</pre>")[0] for part in html.split("<pre>")[1:]]
    return [[line.split() for line in block.splitlines()] for block in blocks]
