"""The console's /market (issue 9, item 7): moving the replay feed's price by hand, console
only. ``tsbot console`` as a subprocess, as an operator pipes a script into it."""

from __future__ import annotations

from pathlib import Path

from tests.bot.test_console_script import replies_by_line
from tests.console_cli import run_tsbot

SCRIPT = [
    "/market btc 65000",
    "/price btc",
    "/market btc +2%",
    "/price btc",
    "/market btc -50%",
    "/market btc lots",
    "/market nosuch 5",
    "/market btc",
    "/market btc off",
    "/buy btc 0.001 60000",
    "/market btc 59000",
    "/orders",
]


def test_market_moves_the_price_fills_what_it_crosses_and_refuses_bad_input(
    tmp_path: Path,
) -> None:
    run = run_tsbot(tmp_path, "console", stdin="\n".join(SCRIPT) + "\n", timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "market: BTC/USDT" in out and "→ 65,000\n" in out
    turns = replies_by_line(out)
    prices = [" ".join(replies) for typed, replies in turns if typed == "/price btc"]
    assert "65,000" in prices[0] and "66,300" in prices[1]
    assert "65,000 → 66,300\n" in out  # +2% of 65,000
    assert "66,300 → 33,150\n" in out  # -50% of 66,300
    assert "33,150 → " in out  # off: back to the replay
    assert "is not a price or a +/- percentage" in out
    assert "(usage: /market <pair> <price>" in out
    # a resting buy at 60,000 fills as soon as the price is moved below it
    [moved] = [replies for typed, replies in turns if typed == "/market btc 59000"]
    assert any("filled at 60,000" in line for line in moved), out
    assert "I don't know /market" not in out  # never reaches the bot as a command
