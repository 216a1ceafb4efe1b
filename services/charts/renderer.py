"""Charts for the bot: drawn off the event loop, at most once per key and UTC day.

``ChartRenderer.render(key, draw)`` runs ``draw`` (a synchronous PNG-drawing callable such
as ``lambda: equity_chart(...)``) in a worker thread and remembers its bytes under ``key``
(the caller's, e.g. ``("source", 12, Theme.DARK)``) for the rest of the UTC day. Invariants:

- At most one draw per key and day: concurrent requests for the same key share the same
  in-flight draw; a draw that fails is forgotten, so the next request tries again.
- A bounded LRU (``max_entries``); entries of a past day are dropped on the next request.
- One figure is drawn at a time in the process (``_DRAWING``): matplotlib's figure and font
  machinery is not documented as thread-safe, and charts are rare enough not to need more.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, date
from typing import Final

from core.clock import Clock, utc_now

__all__ = ["ChartRenderer"]

DEFAULT_MAX_ENTRIES: Final = 64
_DRAWING: Final = threading.Lock()


def _draw_alone(draw: Callable[[], bytes]) -> bytes:
    with _DRAWING:
        return draw()


class ChartRenderer:
    """Renders PNG charts in a worker thread and caches them per key and UTC day."""

    def __init__(self, *, clock: Clock = utc_now, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[Hashable, date], asyncio.Future[bytes]] = OrderedDict()

    async def render(self, key: Hashable, draw: Callable[[], bytes]) -> bytes:
        """The chart under ``key`` drawn today (UTC), drawing it with ``draw`` in a thread
        when there is none. Raises what ``draw`` raises (and keeps nothing then)."""
        today = self._clock().astimezone(UTC).date()
        self._drop_days_before(today)
        entry_key = (key, today)
        entry = self._entries.get(entry_key)
        if entry is None:
            entry = asyncio.ensure_future(asyncio.to_thread(_draw_alone, draw))
            entry.add_done_callback(lambda done: self._forget_if_failed(entry_key, done))
            self._entries[entry_key] = entry
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(entry_key)
        # shield: a requester that gives up does not cancel a draw others may be waiting for
        return await asyncio.shield(entry)

    def _drop_days_before(self, today: date) -> None:
        for stale in [k for k in self._entries if k[1] != today]:
            del self._entries[stale]

    def _forget_if_failed(
        self, entry_key: tuple[Hashable, date], done: asyncio.Future[bytes]
    ) -> None:
        # reading the exception also keeps asyncio from logging it as never retrieved
        failed = done.cancelled() or done.exception() is not None
        if failed and self._entries.get(entry_key) is done:
            del self._entries[entry_key]
