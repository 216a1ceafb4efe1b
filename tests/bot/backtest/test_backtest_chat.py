"""/backtest in chat through the whole bot: an admin sends a channel's Telegram export as a file
(result.json or a .zip of the export folder) and gets the summary and the equity chart back,
over the candles of the bot's store (TRACKER_CANDLES_DIR here). The export is the one of
tests/unit/backtest/test_backtest_cli.py (real posts of shared/corpus dated inside the real
Binance candles of shared/marketdata), so the figures are the ones worked out by hand there.
Refusals (a trader, a file that is not an export, one too big, an export without a signal)
are answered and change nothing: no download where the file is refused up front, no audit."""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from core.db.models import AuditEntry
from services.backtest.service import MAX_EXPORT_BYTES
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory, feed
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.unit.backtest.conftest import BINANCE, CORPUS
from tests.unit.backtest.test_backtest_cli import build_export

PNG = b"\x89PNG\r\n\x1a\n"
NO_SIGNALS = {
    "name": "Chatter",
    "messages": [
        {"id": 1, "type": "message", "date": "2025-07-07T00:00:00", "text": "gm everyone"},
        {"id": 2, "type": "message", "date": "2025-07-07T01:00:00", "text": "market is calm"},
    ],
}


@pytest.fixture
async def app(make_app: AppFactory, tmp_path: Path) -> App:
    return await make_app(
        limits={"rate_limit_burst": 1000},
        tracking={"candles_dir": tmp_path, "enabled": False},
    )


@pytest.fixture
def real_export(tmp_path: Path) -> bytes:
    """The CLI test's export as bytes, with the real 5m candles of its pairs in ``tmp_path``
    (skips when shared/corpus or shared/marketdata is absent)."""
    if not CORPUS.is_file():
        pytest.skip(f"shared corpus not found: {CORPUS}")
    if not (BINANCE / "BTC_USDT-5m.feather").is_file():
        pytest.skip(f"shared market data not found: {BINANCE}")
    for pair in ("BTC_USDT", "ETH_USDT"):
        shutil.copy(BINANCE / f"{pair}-5m.feather", tmp_path)
    posts = {}
    with CORPUS.open(encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            posts[item["id"]] = item["text"]
    return json.dumps(build_export(posts), ensure_ascii=False).encode()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def sent_photo(telegram_api: FakeTelegramAPI) -> tuple[bytes, str]:
    photo = telegram_api.last("sendPhoto")
    part = photo["photo"] if isinstance(photo["photo"], dict) else photo[photo["photo"][9:]]
    return part["data"], photo["caption"]


def table_rows(text: str) -> dict[str, list[str]]:
    """The <pre> table's rows by their label: the cells after it."""
    block = re.search(r"<pre>(.*)</pre>", text, re.DOTALL)
    assert block is not None, text
    rows = {}
    for line in block.group(1).splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells[1:]
    return rows


async def audits(app: App) -> list[AuditEntry]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "backtest_run").order_by(AuditEntry.id)
        )
        return list(rows)


async def send(
    app: App, telegram_api: FakeTelegramAPI, user_id: int, data: bytes, name: str, caption: str
) -> str:
    """Send a file with a caption; the bot's last text to the sender, as HTML."""
    await feed(app, telegram_api.updates.document(user_id, data, name, caption))
    sent = [c for c in telegram_api.calls_of("sendMessage") if c["chat_id"] == user_id]
    return str(sent[-1]["text"])


async def test_an_admin_gets_the_summary_and_the_chart_of_an_export(
    app: App, telegram_api: FakeTelegramAPI, real_export: bytes
) -> None:
    summary = await send(
        app, telegram_api, ADMIN_ID, real_export, "result.json", "/backtest Fuzzy <levels>"
    )

    assert "Backtest of Fuzzy &lt;levels&gt;" in summary
    assert "16 posts read: 8 signals tracked, 7 updates (6 linked to a signal)" in summary
    assert "1 repeated entries" in summary
    rows = table_rows(summary)
    assert rows["signals"] == ["8", "8"]
    assert rows["tp_partial_then_sl"] == ["3", "3"]
    assert rows["not_filled"] == ["1", "0"]
    assert rows["cancelled"] == ["0", "1"]
    assert rows["filled"][0] == "83%"
    assert rows["win rate (TP1)"][0] == "80%"
    assert rows["expectancy"][0] == "+0.10 R"
    assert rows["profit factor"][0] == "1.45"
    assert rows["max drawdown"][0] == "1.17 R"
    assert rows["total"] == ["+0.59 R", "+1.12 R"]  # worked out by hand in the CLI test
    assert rows["TP claims confirmed"] == ["3 of 3"]
    chart, caption = sent_photo(telegram_api)
    assert png_size(chart) == (1200, 800)
    assert 5_000 < len(chart) < 300_000
    assert "Fuzzy &lt;levels&gt;: equity in R" in caption
    [entry] = await audits(app)
    assert entry.target == "Fuzzy <levels>"
    assert entry.details["signals"] == 8 and entry.details["total_r"] == "0.5914"
    assert [c["file_path"] for c in telegram_api.calls_of("download")] == ["documents/file_1.json"]


async def test_a_zip_of_the_export_folder_named_by_the_export(
    app: App, telegram_api: FakeTelegramAPI, real_export: bytes
) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ChatExport_2025-07-28/photos/chart.jpg", b"\xff\xd8 not a photo")
        archive.writestr("ChatExport_2025-07-28/result.json", real_export)

    summary = await send(app, telegram_api, ADMIN_ID, packed.getvalue(), "export.zip", "/backtest")

    assert "Backtest of Fuzzy Levels" in summary  # the export's own name
    assert table_rows(summary)["total"] == ["+0.59 R", "+1.12 R"]
    assert png_size(sent_photo(telegram_api)[0]) == (1200, 800)


async def test_a_trader_is_refused(app: App, telegram_api: FakeTelegramAPI) -> None:
    export = json.dumps(NO_SIGNALS).encode()
    reply = await send(app, telegram_api, TRADER_ID, export, "result.json", "/backtest")
    assert "not allowed" in reply
    assert telegram_api.calls_of("getFile") == []
    assert await audits(app) == []


@pytest.mark.parametrize(
    ("data", "name", "answer", "downloaded"),
    [
        pytest.param(b"hello", "notes.txt", "Send the export's result.json", False, id="txt"),
        pytest.param(b"\xff\xd8\xff binary", "result.json", "not a text file", True, id="binary"),
        pytest.param(b"{not json", "result.json", "is not JSON", True, id="not-json"),
        pytest.param(b'{"name": "x"}', "result.json", "no 'messages' list", True, id="no-msgs"),
        pytest.param(b"PK\x03\x04 broken", "export.zip", "not a readable .zip", True, id="zip"),
        pytest.param(
            json.dumps(NO_SIGNALS).encode(), "result.json", "No entry signal", True, id="chatter"
        ),
    ],
)
async def test_a_file_that_is_not_an_export_is_answered(  # noqa: PLR0913 - the table's columns
    app: App,
    telegram_api: FakeTelegramAPI,
    data: bytes,
    name: str,
    answer: str,
    downloaded: bool,
) -> None:
    reply = await send(app, telegram_api, ADMIN_ID, data, name, "/backtest Some channel")
    assert answer in reply
    assert bool(telegram_api.calls_of("download")) is downloaded
    assert telegram_api.calls_of("sendPhoto") == []
    assert await audits(app) == []


async def test_a_zip_without_result_json_is_answered(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("notes/readme.txt", "nothing here")
    reply = await send(app, telegram_api, ADMIN_ID, packed.getvalue(), "export.zip", "/backtest")
    assert "holds no result.json" in reply


async def test_an_oversize_file_is_refused_before_download(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    big = b" " * (MAX_EXPORT_BYTES + 1)
    reply = await send(app, telegram_api, ADMIN_ID, big, "result.json", "/backtest")
    assert "at most 20 MB" in reply
    assert telegram_api.calls_of("getFile") == []
    assert telegram_api.calls_of("download") == []
    assert await audits(app) == []


async def test_backtest_as_text_explains_how(app: App, telegram_api: FakeTelegramAPI) -> None:
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/backtest Alpha"))
    text = telegram_api.messages(ADMIN_ID)[-1]["text"]  # as shown: the HTML is rendered
    assert "Export chat history" in text and "/backtest <source name>" in text
    await feed(app, telegram_api.updates.message(TRADER_ID, "/backtest"))
    assert "not allowed" in telegram_api.messages(TRADER_ID)[-1]["text"]


async def test_no_candle_store_is_answered(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    """Static prices have no candles: nothing to backtest on, said before downloading."""
    app = await make_app(
        exchange={"price_feed": "static", "static_prices": {"BTC/USDT": "64000"}},
        tracking={"enabled": False},
    )
    reply = await send(app, telegram_api, ADMIN_ID, b"{}", "result.json", "/backtest")
    assert "no candle store" in reply
    assert telegram_api.calls_of("getFile") == []
