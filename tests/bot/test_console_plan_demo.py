"""DONE WHEN of issue 9, from the console (``make run``), scripted: a signal with a zone is
posted, followed in auto mode, and ``/market`` walks the price into the zone, to TP1, to TP2
and to the stop; every step shows in the follower's chat, ``/positions`` and ``/history``,
with the realised P/L in quote and R. ``tsbot console`` as a subprocess, offline."""

from __future__ import annotations

from pathlib import Path

from tests.console_cli import run_tsbot

SIGNAL = "#BTC/USDT LONG Entry 60000-61000 TP1 62000 TP2 64000 TP3 66000 SL 58000"
SCRIPT = [
    "/start",
    "/market btc 61500",
    "/post alpha gm traders",  # the channel (the bot is added on first use)
    "/follow @alpha auto 100",
    f"/post alpha {SIGNAL}",
    "/market btc 60900",  # into the zone: the entry limit at 61,000 fills
    "/market btc 62100",  # TP1, the stop to breakeven
    "/market btc 64100",  # TP2
    "/positions",
    "/market btc 61000",  # the stop
    "/positions",
    "/history",
    "/plans",
]


def test_a_followed_signal_walks_to_its_end_in_the_console(tmp_path: Path) -> None:
    result = run_tsbot(tmp_path, "console", stdin="\n".join(SCRIPT) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    steps = [
        "Orders placed: the plan is working.",
        "Entry filled: 0.00163934 BTC at 61,000.",
        "TP1 hit at",
        "Stop moved from 58,000 to 61,122 (breakeven).",
        "TP2 hit at",
        "Closed: the stop was hit.",
        "In R: +0.42 R",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions)  # each step printed in order, with its /market
    assert out.index("Entry filled") > out.index("/market btc 60900")
    assert out.index("Closed: the stop was hit.") > out.index("/market btc 61000")
    history = out[out.index("you> /history") :]
    assert "Recent orders" in history and "#1 BTC/USDT · closed · +2.04 USDT · +0.42 R" in history
    last_positions = out[out.rindex("you> /positions") : out.index("you> /history")]
    assert "none" in last_positions
