"""``services.backtest.cli.backtest`` in process, over a small CSV candle directory: the
source name, the note about dates read as UTC, the JSON document, and bad inputs (exit 2)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from services.backtest.cli import EXIT_BAD_INPUT, backtest

POST = "BTC/USDT LONG\nEntry: 100\nTP1: 110\nSL: 95"
CANDLES = """date,open,high,low,close,volume
2025-03-01 00:00:00+00:00,102,103,101,102,1
2025-03-01 01:00:00+00:00,102,102,99.5,100.5,1
2025-03-01 02:00:00+00:00,100.5,111,100,109,1
2025-03-01 03:00:00+00:00,109,109.5,104,105,1
"""


async def _run(
    tmp_path: Path,
    export: object,
    *,
    candles: str = CANDLES,
    source: str | None = None,
    json_out: Path | None = None,
) -> tuple[int, str, str]:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export), "utf-8")
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "BTC_USDT-1h.csv").write_text(candles, "utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = await backtest(
        path,
        data,
        source=source,
        json_out=json_out,
        chart_out=None,
        ai=None,
        threshold=0.6,
        duplicate_window=timedelta(hours=24),
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


async def test_a_local_date_export_is_tracked_and_the_guess_is_told(tmp_path: Path) -> None:
    """No date_unixtime: 00:30 local is read as 00:30 UTC. The entry 100 fills in the 01:00
    candle (low 99.5) at min(open 102, 100) = 100; the 02:00 high 111 reaches TP1 110 before
    any low reaches the stop 95: tp_all, R = 10 / 5 = 2."""
    export = {"name": "chat", "messages": [{"id": 1, "date": "2025-03-01T00:30:00", "text": POST}]}
    out_json = tmp_path / "out.json"

    code, out, err = await _run(tmp_path, export, source="My Channel", json_out=out_json)

    assert code == 0, err
    assert "Backtest of My Channel" in out
    assert "read as UTC" in err
    document = json.loads(out_json.read_text("utf-8"))
    assert document["summary"]["source"] == "My Channel"
    assert document["summary"]["dates_assumed_utc"] is True
    (signal,) = document["signals"]
    assert signal["timeframe"] == "1h"
    assert signal["price_outcome"] == {
        "result": "tp_all",
        "filled_at": "2025-03-01T01:00:00Z",
        "fill_price": "100",
        "targets_hit": 1,
        "stop_hit": False,
        "closed_at": "2025-03-01T02:00:00Z",
        "r": "2.0000",
    }


async def test_bad_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    code, out, err = await _run(tmp_path, {"chats": {"list": []}})
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert "not a Telegram Desktop chat export" in err

    export = {"messages": [{"id": 1, "date": "2025-03-01T00:30:00", "text": POST}]}
    code, _, err = await _run(tmp_path, export, json_out=tmp_path / "no" / "such" / "dir.json")
    assert code == EXIT_BAD_INPUT
    assert "Could not write the output" in err


async def test_an_unreadable_candle_file_exits_2(tmp_path: Path) -> None:
    export = {"messages": [{"id": 1, "date": "2025-03-01T00:30:00", "text": POST}]}
    code, _, err = await _run(tmp_path, export, candles="date,open\nyesterday,abc\n")
    assert code == EXIT_BAD_INPUT
    assert "Could not read the candles" in err
