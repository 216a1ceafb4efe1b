"""``full_collections_held``: no full collection starts inside a burst, young ones still run,
and the thresholds found are put back when the last overlapping burst ends (even on error)."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from core.heap_burst import HELD_THRESHOLD, full_collections_held


def test_the_old_threshold_is_raised_and_put_back() -> None:
    before = gc.get_threshold()
    with full_collections_held():
        assert gc.get_threshold() == (before[0], before[1], HELD_THRESHOLD)
    assert gc.get_threshold() == before


def test_overlapping_bursts_restore_once_the_last_ends() -> None:
    before = gc.get_threshold()
    first, second = full_collections_held(), full_collections_held()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] == HELD_THRESHOLD  # the second burst still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_an_error_in_the_burst_still_restores() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), full_collections_held():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_young_collections_run_and_no_full_one_starts() -> None:
    seen: list[int] = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(watch)
    try:
        with full_collections_held():
            kept = [[i] for i in range(300_000)]  # enough allocations for many young passes
            del kept
    finally:
        gc.callbacks.remove(watch)
    assert 0 in seen
    assert 2 not in seen
