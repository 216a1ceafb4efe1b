"""Shared helpers for the price-feed tests: where the market data lives, a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# /work/main/tests/unit/feeds/conftest.py -> parents[3] is the repo, its parent holds shared/
MARKETDATA = Path(__file__).resolve().parents[3].parent / "shared" / "marketdata"


def marketdata_file(relative: str) -> Path:
    """A file under shared/marketdata, or skip the test when that checkout is absent."""
    path = MARKETDATA / relative
    if not path.is_file():
        pytest.skip(f"shared market data not found: {path} (see shared/marketdata/README.md)")
    return path


class FakeClock:
    """Wall clock the test moves by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
