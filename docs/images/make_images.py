"""Draw the README's two charts from real data: ``.venv/bin/python docs/images/make_images.py``.

Needs the shared corpus and market data next to the checkout (``../shared``): the export is the
one the backtest's end-to-end test builds from real posts (``tests/unit/backtest``), run over
real Binance 5-minute candles; the signal chart is its first ETH signal on its candles.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.charts import Theme, signal_chart  # noqa: E402
from services.tracking.candle_store import DirectoryCandleStore  # noqa: E402
from services.tracking.outcome import price_outcome, tracked_signal  # noqa: E402
from tests.unit.backtest.conftest import BINANCE, CORPUS  # noqa: E402
from tests.unit.backtest.test_backtest_cli import build_export  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    texts = {}
    for line in CORPUS.read_text("utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            texts[item["id"]] = item["text"]
    with tempfile.TemporaryDirectory() as tmp:
        export, report = Path(tmp) / "result.json", Path(tmp) / "backtest.json"
        export.write_text(json.dumps(build_export(texts), ensure_ascii=False), "utf-8")
        subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [
                sys.executable,
                "-m",
                "bot",
                "backtest",
                str(export),
                "--candles",
                str(BINANCE),
                "--json",
                str(report),
                "--chart",
                str(HERE / "backtest-equity.png"),
            ],
            check=True,
            cwd=ROOT,
        )
        signals = json.loads(report.read_text("utf-8"))["signals"]
    first = next(s for s in signals if s["base"] == "ETH" and s["price_outcome"]["filled_at"])
    closed_at = first["price_outcome"]["closed_at"]
    arrays = DirectoryCandleStore(BINANCE).arrays("ETH", "USDT", futures=False)
    assert arrays is not None
    posted = datetime.fromisoformat(first["date"].replace("Z", "+00:00"))
    closed = datetime.fromisoformat(closed_at.replace("Z", "+00:00"))
    window = arrays.between(posted - timedelta(hours=2), closed + timedelta(hours=2), 400)
    tracked = tracked_signal(
        side=first["side"],
        posted_at=posted,
        entry_low=Decimal(first["entry"][0]),
        entry_high=Decimal(first["entry"][-1]),
        entry_is_market=False,
        targets=[Decimal(t) for t in first["targets"]],
        stop=Decimal(first["stop_loss"]) if first["stop_loss"] else None,
    )
    assert tracked is not None
    events = price_outcome(tracked, arrays).events  # the same steps the backtest found
    png = signal_chart(
        window,
        title=f"ETH/USDT {first['side']} (a real post, real candles)",
        entry_low=Decimal(first["entry"][0]),
        entry_high=Decimal(first["entry"][-1]),
        targets=[Decimal(t) for t in first["targets"]],
        stop=Decimal(first["stop_loss"]) if first["stop_loss"] else None,
        events=events,
        theme=Theme.DARK,
    )
    (HERE / "signal-chart.png").write_bytes(png)
    print("wrote", HERE / "backtest-equity.png", HERE / "signal-chart.png")


if __name__ == "__main__":
    main()
