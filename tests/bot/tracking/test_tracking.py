"""The tracker through the whole bot: a channel's entry tracked on candles (files in freqtrade's
layout, written here around the wall clock), its outcomes stored, each step told to the
follower once; /signal with the outcome and its chart, /stats and /top, the chart buttons."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from core.db.models import OutboxMessage, SignalOutcome
from tests.bot.conftest import ADMIN_ID, TRADER_ID, VIEWER_ID, AppFactory, drain_outbox, feed
from tests.fakes.telegram_api import FakeTelegramAPI

CHANNEL = -1001234567890
OWNER_ID = 5005
ENTRY = "BTC/USDT LONG\nEntry: 60000-61000\nTP1: 62000\nTP2: 64000\nSL: 58000"
PNG = b"\x89PNG\r\n\x1a\n"


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def write_candles(folder: Path, start: datetime, rows: list[tuple[int, ...]]) -> None:
    """One-minute BTC/USDT candles from ``start``: (open, high, low, close)."""
    lines = ["timestamp,open,high,low,close,volume"]
    for index, (o, h, low, c) in enumerate(rows):
        at = start + timedelta(minutes=index)
        lines.append(f"{at:%Y-%m-%d %H:%M:%S}+00:00,{o},{h},{low},{c},1")
    (folder / "BTC_USDT-1m.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
async def app(make_app: AppFactory, tmp_path: Path) -> App:
    return await make_app(
        limits={"rate_limit_burst": 1000, "outbox_chat_per_s": 1000},
        tracking={"candles_dir": tmp_path, "enabled": False, "top_min_signals": 1},
    )


async def setup_channel(app: App, telegram_api: FakeTelegramAPI, *, approve: bool = True) -> None:
    await feed(
        app,
        telegram_api.updates.my_chat_member(
            CHANNEL, OWNER_ID, chat_type="channel", title="Alpha <calls>"
        ),
    )
    # registered by a non-admin: private until an admin approves it (issue 13 defect 9)
    if approve:
        await feed(app, telegram_api.updates.message(ADMIN_ID, "/source approve 1"))
    await feed(app, telegram_api.updates.message(TRADER_ID, "/follow 1"))


async def post_entry(app: App, telegram_api: FakeTelegramAPI, posted: datetime) -> None:
    update = telegram_api.updates.channel_post(CHANNEL, ENTRY)
    update["channel_post"]["date"] = int(posted.timestamp())
    await feed(app, update)


async def outcomes(app: App) -> dict[str, SignalOutcome]:
    async with app.db.session() as session:
        return {o.kind: o for o in await session.scalars(select(SignalOutcome))}


async def tracked_notes(app: App, telegram_id: int) -> list[str]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == telegram_id, OutboxMessage.dedupe_key.like("trk:%"))
            .order_by(OutboxMessage.id)
        )
        return [row.text for row in rows]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def tracked_signal(
    app: App, telegram_api: FakeTelegramAPI, folder: Path, *, approve: bool = True
) -> None:
    """An entry posted 10 minutes ago; since then: filled at 61000 (the zone top, the candle
    opened above it), TP1 62000, then the stop 58000."""
    posted = _minute(datetime.now(UTC)) - timedelta(minutes=10)
    await setup_channel(app, telegram_api, approve=approve)
    await post_entry(app, telegram_api, posted)
    write_candles(
        folder,
        posted - timedelta(minutes=2),
        [
            (50000, 50000, 50000, 50000),  # before the post: never counts (it would stop out)
            (61500, 61600, 60000, 61500),  # before the post too (it would fill)
            (61500, 61600, 60900, 61200),  # fill: low 60900 <= 61000, at min(open, 61000)
            (61200, 62100, 61100, 62000),  # TP1
            (62000, 62050, 57900, 58000),  # the stop
            (58000, 58100, 57000, 57500),
        ],
    )


async def test_a_channel_signal_is_tracked_and_each_step_told_once(
    app: App, telegram_api: FakeTelegramAPI, tmp_path: Path
) -> None:
    await tracked_signal(app, telegram_api, tmp_path)
    tracking = app.services["tracking_service"]
    assert await tracking.run_pass() == 2  # the price and the followed outcome

    stored = await outcomes(app)
    price = stored["price"]
    assert price.result == "tp_partial_then_sl"
    assert price.fill_price == Decimal(61000)
    assert (price.targets_hit, price.stop_hit) == (1, True)
    assert price.r == Decimal("-0.3333")  # half +1000, half -3000, risk 3000
    assert (price.symbol, price.timeframe) == ("BTC/USDT", "1m")
    assert stored["followed"].result == "tp_partial_then_sl"
    notes = await tracked_notes(app, TRADER_ID)
    assert len(notes) == 3
    assert "entry filled at 61,000" in notes[0]
    assert "TP1 hit at 62,000" in notes[1]
    assert "stop hit at 58,000" in notes[2] and "-0.33 R" in notes[2]
    assert "Alpha &lt;calls&gt;" in notes[0]

    # a second pass, and a pass after a restart, recompute the same steps: nothing is told twice
    assert await tracking.run_pass() == 0
    assert len(await tracked_notes(app, TRADER_ID)) == 3
    await drain_outbox(app)
    sent = [m["text"] for m in telegram_api.messages(TRADER_ID) if "Prices:" in m.get("text", "")]
    assert len(sent) == 3


async def test_signal_command_shows_the_outcome_and_draws_its_chart(
    app: App, telegram_api: FakeTelegramAPI, tmp_path: Path
) -> None:
    await tracked_signal(app, telegram_api, tmp_path)
    await app.services["tracking_service"].run_pass()
    await feed(app, telegram_api.updates.message(VIEWER_ID, "/signal 1"))
    card = telegram_api.messages(VIEWER_ID)[-1]
    assert "Prices: 1 target, then the stop" in card["text"]
    assert "-0.33 R" in card["text"]
    assert "1m candles of BTC/USDT" in card["text"]
    await feed(app, telegram_api.updates.callback(VIEWER_ID, card, buttons(card)["📈 Chart"]))
    photo = telegram_api.last("sendPhoto")
    data = photo["photo"] if isinstance(photo["photo"], dict) else photo[photo["photo"][9:]]
    assert png_size(data["data"]) == (1200, 800)
    assert 5_000 < len(data["data"]) < 300_000
    assert "Signal #1" in photo["caption"]


async def test_stats_top_and_the_equity_chart(
    app: App, telegram_api: FakeTelegramAPI, tmp_path: Path
) -> None:
    await tracked_signal(app, telegram_api, tmp_path)
    await app.services["tracking_service"].run_pass()
    await feed(app, telegram_api.updates.message(TRADER_ID, "/stats 1"))
    stats = telegram_api.messages(TRADER_ID)[-1]
    assert "Alpha <calls>: scores from prices" in stats["text"]
    assert "Win rate (TP1)" in stats["text"] and "100%" in stats["text"]
    assert "-0.33" in stats["text"]
    await feed(
        app, telegram_api.updates.callback(TRADER_ID, stats, buttons(stats)["📈 Light chart"])
    )
    photo = telegram_api.last("sendPhoto")
    data = photo["photo"] if isinstance(photo["photo"], dict) else photo[photo["photo"][9:]]
    assert png_size(data["data"]) == (1200, 800)

    await feed(app, telegram_api.updates.message(ADMIN_ID, "/top"))
    top = telegram_api.messages(ADMIN_ID)[-1]["text"]
    assert "1. Alpha <calls>: -0.33 R per signal" in top


async def test_bad_input_is_answered_and_changes_nothing(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, "/stats"))
    assert "Usage: /stats <source>" in telegram_api.messages(TRADER_ID)[-1]["text"]
    await feed(app, telegram_api.updates.message(TRADER_ID, "/stats 99"))
    assert telegram_api.messages(TRADER_ID)[-1]["text"]
    await feed(app, telegram_api.updates.message(TRADER_ID, "/top"))
    assert "No source has 1 tracked signals yet" in telegram_api.messages(TRADER_ID)[-1]["text"]


async def test_a_private_source_scores_and_signals_stay_private(
    app: App, telegram_api: FakeTelegramAPI, tmp_path: Path
) -> None:
    """A source not approved yet is seen by its owner and the admins only: /stats, /top,
    /signal and the chart buttons answer anyone else as if it did not exist."""
    await tracked_signal(app, telegram_api, tmp_path, approve=False)
    await app.services["tracking_service"].run_pass()
    await feed(app, telegram_api.updates.message(OWNER_ID, "/stats 1"))
    assert "Alpha <calls>: scores from prices" in telegram_api.messages(OWNER_ID)[-1]["text"]
    await feed(app, telegram_api.updates.message(OWNER_ID, "/top"))
    assert "1. Alpha <calls>" in telegram_api.messages(OWNER_ID)[-1]["text"]
    for command in ("/stats 1", "/top", "/signal 1"):
        await feed(app, telegram_api.updates.message(VIEWER_ID, command))
        answer = telegram_api.messages(VIEWER_ID)[-1]["text"]
        assert "Alpha" not in answer, (command, answer)
    await feed(app, telegram_api.updates.message(OWNER_ID, "/signal 1"))
    card = telegram_api.messages(OWNER_ID)[-1]
    await feed(app, telegram_api.updates.callback(VIEWER_ID, card, buttons(card)["📈 Chart"]))
    with pytest.raises(LookupError):
        telegram_api.last("sendPhoto")  # a stranger's press draws nothing
