"""The process's garbage collector, settled once start-up is done.

A running bot holds a large long-lived heap: aiogram's types, ccxt's exchange classes,
SQLAlchemy's mappers and the settings, about 550,000 tracked objects once the app is built.
CPython's full (generation 2) collection walks all of it with the event loop stopped: 100 to
550 ms, which every follower whose order is then being placed waits
(``bench/signal_to_order.py``: the per-order p99 was 360-430 ms with it, 55-68 ms without;
docs/PERFORMANCE.md "Signal to order").

``settle_heap`` collects once and moves what survived start-up to the permanent generation
(``gc.freeze``), so later full collections walk only what was made since. Invariants: called
once per serving process (``tsbot run``, ``tsbot api``), after the app is built and before it
serves; never in tests, where a frozen heap is never freed and the suite builds many apps.
"""

from __future__ import annotations

import gc


def settle_heap() -> int:
    """Collects the start-up garbage and freezes the rest; returns how many objects were
    frozen (for the start-up log)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
