"""``tsbot backtest`` end to end: an export built from real channel posts (shared/corpus), dated
inside the real Binance candles (shared/marketdata), run as a subprocess; every outcome below
was worked out by hand from the candle rows (times are candle opens, UTC; prices o/h/l).

The channel's history (the export lists it out of order; the reader sorts by date):

#2  2025-07-07 00:00  ETH long 2550-2555, TP 2577/2590/2610, SL 2521 (zh_channel_fuzzy_levels-014)
    no low <= 2555 before 01:00 (lowest 2555.20 at 00:35); 01:00 o 2561.42 l 2554.94 -> filled
    at min(open, 2555) = 2555. 01:00-02:05 highs <= 2572.77, lows >= 2550.46; 02:10 h 2578.24
    -> TP1 2577; 02:15-03:20 highs <= 2584.00; 03:25 h 2590.57 -> TP2 2590; then highs <= 2590.57
    (< 2610) and lows >= 2527.50 until 16:20 l 2512.00 -> stop 2521.
    price: tp_partial_then_sl, R = (22 + 35 - 34) / 3 / 34 = 23/102 = 0.2255.
#3  02:30 reply "已過tp1" (TP1 passed): a claim, confirmed (2 targets hit).
#4  04:00 "Close 25% #ETHUSDT and move SL on entry" (mgmt_commands-002; no reply): linked by
    pair (the one open ETH signal). The bot reads it as a partial close of 25% (the stop move in
    the same post is not applied: the parser gives one update kind per post). It closes 1/4 of
    the 1/3 left after TP2 at the 04:00 open 2577.41; the last 1/4 stops at 2521.
    followed: tp_partial_then_sl, R = (22/3 + 35/3 + 22.41/12 - 34/4) / 34 = 12.3675/34
    = 0.36375 -> 0.3638.
#5  2025-07-11 12:00  ETH long 2955-2980, TP 3008/3030, SL 2938 (zh_channel_fuzzy_levels-015),
    an edited message (the export holds its final text). 12:00-12:15 lows >= 2983.29; 12:20
    o 2985.98 l 2976.12 -> filled at 2980; 12:25-13:50 highs <= 3002.00, lows >= 2970.11;
    13:55 h 3009.64 -> TP1 3008; 14:00-16:00 highs <= 3009.64 (< 3030), lows >= 2939.36;
    16:05 l 2936.46 -> stop 2938.  price: tp_partial_then_sl, R = (28 - 42) / 2 / 42 = -0.1667.
#6  14:00 reply "Scalpers can secure half and set BE" (mgmt_commands-001): a partial close of
    half of what is left (1/2 after TP1) at the 14:00 open 3002.86; the last 1/4 stops at 2938.
    followed: tp_partial_then_sl, R = (28/2 + 22.86/4 - 42/4) / 42 = 9.215/42 = 0.2194.
#7  12:30  "ETH / BTC LONG 0.027 ..." (trad_ct-001): no ETH/BTC candles -> no_data.
#8  2025-07-14 00:00  BTC short 120500-121000, TP 119000/118000, SL 121700
    (zh_channel_fuzzy_levels-004). Highs <= 119999.00 until 03:40 o 119989.99 h 121492.48
    -> filled at max(open, 120500) = 120500; 03:40-05:15 highs <= 121581.00 (< 121700), lows
    >= 119929.32; 05:20 h 122666.00 -> stop.  price: sl, R = -1.
#9  06:00 reply "空單止損，太猛了..." (stop hit, zh_channel_fuzzy_levels-027): the follower
    closes, but the stop came first.  followed: sl, R = -1.
#10 2025-07-17 00:00  the same BTC short post again (3 days later: a new signal). Highs
    <= 120488.33 until 21:20 o 120482.28 h 120998.71 -> filled at 120500; then highs
    <= 120998.71 and lows >= 119020.48 until 07-18 08:30 l 118782.48 -> TP1 119000; highs
    <= 119531.48, lows >= 118178.21 until 14:20 l 117751.00 -> TP2 118000.
    price and followed: tp_all, R = (1500 + 2500) / 2 / 1200 = 1.6667.
#11 00:30  the same text once more (within 24 h): a repeat of #10, not a signal.
#12 07-18 15:00 reply to the repeat #11 "tp2": reaches #10; a claim of 2, confirmed.
#13 2025-07-22 00:00  ETH long 3635-3665, TP 3695/3730, SL 3624 (zh_channel_fuzzy_levels-001).
    Lows >= 3669.25 until 04:55 o 3674.26 l 3646.00 -> filled at 3665; highs <= 3693.67 until
    05:20 h 3697.24 -> TP1 3695; then highs <= 3716.66 (< 3730), lows >= 3625.09 until 08:25
    l 3620.65 -> stop 3624.  price and followed: tp_partial_then_sl, R = (30 - 41)/2/41 = -0.1341.
#14 2025-07-25 00:00  BTC short 122100-122600, SL 123300 (zh_channel_fuzzy_levels-008): highs
    <= 119766.65 until 07-28 00:00 -> price: not_filled.
#15 07-25 06:00  CELO/USDT futures long (wolfx_signals-001): no CELO candles -> no_data.
#16 07-26 10:00  "止盈了。" (closed, no reply, no coin): not linked.
#17 07-27 00:00  reply to #14 "取消一直沒接上" (cancel, never filled): followed: cancelled.

Summary of the price outcomes (8 signals; the tracker tells R to 4 places and the sums are of
those): filled 5 of the 6 whose fill is decided (83%), TP1 in 4 of 5 (80%); R 0.2255, -0.1667,
-1, 1.6667, -0.1341: total 0.5914, average 0.1183, expectancy (the not-filled entry counts as a
trade of 0 R) 0.5914/6 = 0.0986, profit factor 1.8922/1.3008 = 1.4546; equity in close order
0.2255, 0.0588, -0.9412, 0.7255, 0.5914: max drawdown 0.2255 - (-0.9412) = 1.1667 R.
Followed: 0.3638 + 0.2194 - 1 + 1.6667 - 0.1341 = 1.1158 R.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXPORTER_ZONE = timedelta(hours=3)  # the exporter's clock: the local 'date' is UTC+3


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _message(id_: int, at: str, text: Any, **extra: Any) -> dict[str, Any]:
    when = _at(at)
    return {
        "id": id_,
        "type": "message",
        "date": (when + EXPORTER_ZONE).replace(tzinfo=None).isoformat(),
        "date_unixtime": str(int(when.timestamp())),
        "from": "Signals",
        "from_id": "channel1234",
        "text": text,
        **extra,
    }


def build_export(posts: dict[str, str]) -> dict[str, Any]:
    close_25 = posts["mgmt_commands-002"]  # "Close 25% #ETHUSDT and move SL on entry"
    head, tag, tail = close_25.partition("#ETHUSDT")
    btc_short = posts["zh_channel_fuzzy_levels-004"]
    messages = [
        {"id": 1, "type": "service", "date": "2025-07-06T12:00:00", "action": "create_channel"},
        _message(2, "2025-07-07T00:00", posts["zh_channel_fuzzy_levels-014"]),
        _message(3, "2025-07-07T02:30", posts["zh_topic_jonerszhuli1-016"], reply_to_message_id=2),
        _message(4, "2025-07-07T04:00", [head, {"type": "hashtag", "text": tag}, tail]),
        _message(
            5,
            "2025-07-11T12:00",
            posts["zh_channel_fuzzy_levels-015"],
            edited="2025-07-11T15:10:00",
            edited_unixtime=str(int(_at("2025-07-11T12:10").timestamp())),
        ),
        _message(6, "2025-07-11T14:00", posts["mgmt_commands-001"], reply_to_message_id=5),
        _message(7, "2025-07-11T12:30", posts["trad_ct-001"]),
        _message(8, "2025-07-14T00:00", btc_short),
        _message(
            9, "2025-07-14T06:00", posts["zh_channel_fuzzy_levels-027"], reply_to_message_id=8
        ),
        _message(10, "2025-07-17T00:00", btc_short),
        _message(11, "2025-07-17T00:30", btc_short),
        _message(
            12, "2025-07-18T15:00", posts["zh_topic_jonerszhuli1-015"], reply_to_message_id=11
        ),
        _message(
            13,
            "2025-07-22T00:00",
            [{"type": "bold", "text": posts["zh_channel_fuzzy_levels-001"]}],
        ),
        _message(14, "2025-07-25T00:00", posts["zh_channel_fuzzy_levels-008"]),
        _message(15, "2025-07-25T06:00", posts["wolfx_signals-001"]),
        {**_message(18, "2025-07-25T07:00", ""), "photo": "photos/chart.jpg"},
        _message(16, "2025-07-26T10:00", posts["zh_channel_fuzzy_levels-021"]),
        _message(
            17, "2025-07-27T00:00", posts["zh_topic_devinliufan-008"], reply_to_message_id=14
        ),
    ]
    return {"name": "Fuzzy Levels", "type": "public_channel", "id": 1234, "messages": messages}


def tsbot(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    clean.pop("OPENAI_API_KEY", None)  # offline: the rules parser only
    return subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", "/dev/null", *args],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


EXPECTED = {  # message id: (price result, R, followed result, R), worked out above
    2: ("tp_partial_then_sl", "0.2255", "tp_partial_then_sl", "0.3638"),
    5: ("tp_partial_then_sl", "-0.1667", "tp_partial_then_sl", "0.2194"),
    7: ("no_data", None, "no_data", None),
    8: ("sl", "-1.0000", "sl", "-1.0000"),
    10: ("tp_all", "1.6667", "tp_all", "1.6667"),
    13: ("tp_partial_then_sl", "-0.1341", "tp_partial_then_sl", "-0.1341"),
    14: ("not_filled", None, "cancelled", None),
    15: ("no_data", None, "no_data", None),
}


@pytest.mark.slow
def test_backtest_of_real_posts_over_real_candles(
    tmp_path: Path, corpus_texts: dict[str, str], binance_candles: Path
) -> None:
    export = tmp_path / "result.json"
    export.write_text(json.dumps(build_export(corpus_texts), ensure_ascii=False), "utf-8")
    out_json, out_png = tmp_path / "backtest.json", tmp_path / "equity.png"

    done = tsbot(
        "backtest",
        str(export),
        "--candles",
        str(binance_candles),
        "--json",
        str(out_json),
        "--chart",
        str(out_png),
    )

    assert done.returncode == 0, done.stderr
    assert "Backtest of Fuzzy Levels" in done.stdout
    assert "TP claims confirmed" in done.stdout
    document = json.loads(out_json.read_text("utf-8"))
    assert set(document) == {"summary", "signals"}
    signals = {s["message_id"]: s for s in document["signals"]}
    got = {
        i: (
            s["price_outcome"]["result"],
            s["price_outcome"]["r"],
            s["followed_outcome"]["result"],
            s["followed_outcome"]["r"],
        )
        for i, s in signals.items()
    }
    assert got == EXPECTED

    eth = signals[2]
    assert {k: eth[k] for k in ("date", "base", "quote", "side", "market", "timeframe")} == {
        "date": "2025-07-07T00:00:00Z",  # from date_unixtime, not the exporter's local date
        "base": "ETH",
        "quote": None,
        "side": "long",
        "market": None,
        "timeframe": "5m",
    }
    assert (eth["entry"], eth["targets"], eth["stop_loss"], eth["leverage"]) == (
        ["2550", "2555"],
        ["2577", "2590", "2610"],
        "2521",
        None,
    )
    assert eth["price_outcome"] == {
        "result": "tp_partial_then_sl",
        "filled_at": "2025-07-07T01:00:00Z",
        "fill_price": "2555",
        "targets_hit": 2,
        "stop_hit": True,
        "closed_at": "2025-07-07T16:20:00Z",
        "r": "0.2255",
    }
    btc = signals[10]
    assert btc["price_outcome"]["filled_at"] == "2025-07-17T21:20:00Z"
    assert btc["price_outcome"]["closed_at"] == "2025-07-18T14:20:00Z"
    assert signals[14]["followed_outcome"]["closed_at"] == "2025-07-27T00:00:00Z"
    assert signals[15]["market"] == "futures"
    assert signals[15]["timeframe"] is None

    summary = document["summary"]
    keys = ("posts", "skipped_messages", "signals", "repeated_entries", "updates")
    assert {k: summary[k] for k in keys} == {
        "posts": 16,
        "skipped_messages": 2,  # the service message and the photo without a caption
        "signals": 8,
        "repeated_entries": 1,
        "updates": 7,
    }
    assert summary["linked_updates"] == 6  # all but "止盈了。" (no reply, no coin)
    assert summary["dates_assumed_utc"] is False
    price = summary["price"]
    assert price["outcomes"] == {
        "tp_all": 1,
        "tp_partial_then_sl": 3,
        "sl": 1,
        "not_filled": 1,
        "no_data": 2,
    }
    assert (price["filled"], price["fill_rate"], price["win_rate"]) == (5, "0.8333", "0.8000")
    assert (price["avg_r"], price["expectancy"], price["max_drawdown_r"], price["total_r"]) == (
        "0.1183",
        "0.0986",
        "1.1667",
        "0.5914",
    )
    assert price["profit_factor"] == "1.4546"
    assert (price["tp_claims"], price["tp_claims_confirmed"]) == (3, 3)
    followed = summary["followed"]
    assert followed["outcomes"]["cancelled"] == 1
    assert (followed["total_r"], followed["avg_r"]) == ("1.1158", "0.2232")

    png = out_png.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(png) < 2_000_000


@pytest.mark.slow
def test_a_file_that_is_not_an_export_exits_2(tmp_path: Path) -> None:
    bogus = tmp_path / "result.json"
    bogus.write_text('{"chats": []}', "utf-8")
    done = tsbot("backtest", str(bogus), "--candles", str(tmp_path))
    assert done.returncode == 2
    assert "not a Telegram Desktop chat export" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_missing_candle_directory_exits_2(tmp_path: Path) -> None:
    export = tmp_path / "result.json"
    export.write_text('{"name": "x", "messages": []}', "utf-8")
    done = tsbot("backtest", str(export), "--candles", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "No candle directory" in done.stderr
