"""Shared helpers for the price-feed tests: where the market data lives, a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.clock import FakeClock

# /work/main/tests/unit/feeds/conftest.py -> parents[3] is the repo, its parent holds shared/
MARKETDATA = Path(__file__).resolve().parents[3].parent / "shared" / "marketdata"


def marketdata_file(relative: str) -> Path:
    """A file under shared/marketdata, or skip the test when that checkout is absent."""
    path = MARKETDATA / relative
    if not path.is_file():
        pytest.skip(f"shared market data not found: {path} (see shared/marketdata/README.md)")
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
