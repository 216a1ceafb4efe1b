"""Full garbage collections held off while a burst of latency-bound work runs.

``core.heap.settle_heap`` freezes what start-up made, but a bot serving live followers grows
its own long-lived heap afterwards: each live account's ccxt client is about 300 tracked
objects (1,000 clients: about 300,000), and CPython's full (generation 2) collection walks
all of them with the event loop stopped, 200-300 ms on the 2-core machine of
docs/PERFORMANCE.md. A signal's live batch makes enough long-lived objects (plans, rows,
answers) to trigger one or two of those while its orders are in flight, and every order then
being placed waits the whole pause.

``full_collections_held`` raises the third collection threshold for the duration of a burst so
that only the young generations are collected (short-lived cycles are still freed; reference
counting frees the rest as always); the threshold is put back when the last overlapping burst
ends, and the next full collection then runs at CPython's usual moment, after the orders. It
never calls the collector itself and never freezes anything: nothing is kept alive longer than
until that next full collection. Invariants: the thresholds in force outside every burst are
the ones found when the first burst began; bursts may overlap and nest (a count, one event
loop thread).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

HELD_THRESHOLD: Final = 1_000_000  # young collections between two full ones: none in a burst

_held = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def full_collections_held() -> Iterator[None]:
    """No full collection starts while the block runs (see the module)."""
    global _held, _saved  # noqa: PLW0603 - the process's one collector, one count of bursts
    if _held == 0:
        young, middle, _old = _saved = gc.get_threshold()
        gc.set_threshold(young, middle, HELD_THRESHOLD)
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if _held == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None
