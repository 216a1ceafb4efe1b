"""DONE WHEN of issue 15 ("Everyday chat"): a console script of 60+ lines, mixed-case commands,
/help, prices, balances, orders and plain text, gets a reply to every line on the default
settings; no log line reaches the terminal; a second run on the same data is answered too.

``tsbot console`` as a subprocess in a fresh directory (its own SQLite file and DATA_DIR),
exactly as an operator pipes a script into it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.console_cli import run_tsbot

# Inputs that work today or belong to issue 15's items 1, 2 and 7; no forms (/pin, /connect)
# and no bare numbers (they would press buttons).
SCRIPT = [
    "/start",
    "/help",
    "/Help",
    "/HELP buy",
    "/help Price",
    "/help /balance",
    "/help whoami",
    "/help nosuch",
    "/whoami",
    "/WhoAmI",
    "/price btc",
    "/Price btc",
    "/PRICE ETH",
    "/price ETH/USDT",
    "/Price sol",
    "/balance",
    "/Balance",
    "/BALANCE paper",
    "/buy btc 0.001",
    "/BUY btc 0.001",
    "/Buy eth 0.01",
    "/buy btc 100usdt",
    "/Buy eth $50",
    "/sell btc 0.001",
    "/Sell eth 0.01",
    "/SELL btc 0.001",
    "/balance",
    "/orders",
    "/Orders",
    "/positions",
    "/Positions",
    "/history",
    "/History",
    "/cancel",
    "/Cancel",
    "/cancel all",
    "/Cancel all btc",
    "/cancel 99999",
    "/sources",
    "/Sources",
    "/signals",
    "/Signals",
    "/signal 1",
    "/accounts",
    "/Accounts",
    "/audit",
    "/Audit",
    "/unfollow nosuch",
    "/grant",
    "/ban",
    "hello",
    "Hello there",
    "thanks!",
    "what is my balance",
    "/nosuch",
    "/NoSuch",
    "/START",
    "/Help sell",
    "/help cancel",
    "/help follow",
    "/price",
    "/buy",
    "/Buy btc",
    "/whoami",
    "/help",
]


def _tsbot(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_tsbot(tmp_path, *args, stdin=stdin, timeout=300)


def replies_by_line(stdout: str) -> list[tuple[str, list[str]]]:
    """Each ``you>`` line of the transcript with the bot's lines printed after it."""
    turns: list[tuple[str, list[str]]] = []
    for line in stdout.splitlines():
        if line.startswith("you> "):
            turns.append((line.removeprefix("you> "), []))
        elif turns and line.startswith("bot"):  # bot:, bot (edited):, bot (alert):
            turns[-1][1].append(line)
    return turns


def test_done_when_a_60_line_console_script_gets_a_reply_to_every_line(tmp_path: Path) -> None:
    assert len(SCRIPT) >= 60
    run = _tsbot(tmp_path, "console", stdin="\n".join(SCRIPT) + "\n")
    assert run.returncode == 0, run.stderr
    turns = replies_by_line(run.stdout)
    assert [typed for typed, _ in turns] == SCRIPT
    silent = [typed for typed, replies in turns if not replies]
    assert silent == [], run.stdout
    transcript = run.stdout
    for refusal in ("Slow down", "skipped", "Something went wrong"):
        assert refusal not in transcript
    for typed, replies in turns:
        if typed.startswith("/") and "nosuch" not in typed.lower():
            assert "I don't know /" not in replies[0], (typed, replies)  # any case is known
    # item 7: the terminal shows the chat only; the log lines are in DATA_DIR/console.log
    assert run.stderr == ""
    assert (tmp_path / "data" / "console.log").exists()
    # a second run on the same database: its first lines are not taken for repeats of the first
    again = _tsbot(tmp_path, "console", stdin="/whoami\n/Price btc\n/balance\n")
    assert again.returncode == 0, again.stderr
    assert all(replies for _, replies in replies_by_line(again.stdout)), again.stdout
