"""Small hand-written candle series for the tracker's table tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from services.tracking.model import CandleArrays

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)


def at(index: int) -> datetime:
    """Open time of candle ``index`` of a series starting at ``T0``."""
    return T0 + STEP * index


def series(
    rows: Sequence[tuple[float, float, float, float]], *, start: datetime = T0
) -> CandleArrays:
    """(open, high, low, close) rows, 5 minutes apart from ``start``."""
    first = int(start.timestamp())
    times = np.array([first + 300 * i for i in range(len(rows))], dtype=np.int64)
    columns = np.array(rows, dtype=np.float64).reshape(len(rows), 4)
    return CandleArrays(
        symbol="BTC/USDT",
        timeframe_s=300,
        times=times,
        open=columns[:, 0].copy(),
        high=columns[:, 1].copy(),
        low=columns[:, 2].copy(),
        close=columns[:, 3].copy(),
    )
