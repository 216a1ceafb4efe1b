"""The console, as an operator tries it: ``tsbot console`` in a fresh directory, paper trading
on the shipped replay prices (offline), one process per run."""

from __future__ import annotations

from pathlib import Path

from tests.console_cli import run_tsbot

_tsbot = run_tsbot


def test_console_buys_on_paper_and_shows_balance_and_history(tmp_path: Path) -> None:
    migrated = _tsbot(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    run = _tsbot(tmp_path, "console", stdin="/buy btc 100usdt\n/balance\n/history\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    log = tmp_path / "data" / "console.log"
    assert "went wrong" not in out, log.read_text()[-4000:] if log.exists() else out
    assert "bot: ✅ Bought 0.00" in out
    assert "BTC on paper: filled at " in out
    assert "priced by replay of Binance BTC/USDT 1h candles (Harthor/marketlab)" in out
    assert "bot: Balance · paper" in out and "USDT: 9,89" in out and "BTC: 0.00" in out
    assert "bot: Recent orders" in out and "#1 buy 0.00" in out and "· filled · paper" in out
    assert "Traceback" not in run.stderr
