"""Which signal an update post is about, over a replayed history, kept in memory.

The bot links an update in the database (``services.signals.updates._link``); a backtest has no
database, so this is the same rule over plain values:

- by reply: to the entry's post, to a repeat of it (a post with the entry's text within the
  duplicate window is that entry, ``attribution.text_key``), or to an update already linked;
- else by pair: the update names a base (and maybe a quote) and exactly one *open* entry of the
  channel matches it (``result.quote`` None, or the entry's quote None or equal); never guessed.

Open is the bot's ``active`` status: the entry was parsed at or above the confidence threshold
(below it the bot holds it for its owner) and no "stop hit", "close" or "cancel" update has
reached it (``STATUS_OF_UPDATE``). One addition over the bot: an entry whose price outcome had
already ended when the update was posted is no longer open, because over months of history
every entry its channel never closed in words would stay open and make pair links ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.domain import SignalKind
from services.signal_parser import ParseResult
from services.signals.attribution import text_key
from services.signals.updates import STATUS_OF_UPDATE

__all__ = ["Linker"]


@dataclass(slots=True)
class _Entry:
    index: int  # the caller's number for the signal
    posted_at: datetime
    base: str | None
    quote: str | None
    text_key: str
    active: bool
    ended_at: datetime | None  # when its price outcome ended (None: not by the data's end)


class Linker:
    """Entries and updates of one channel, read in posting order."""

    def __init__(self, duplicate_window: timedelta) -> None:
        self._window = duplicate_window
        self._entries: list[_Entry] = []
        self._by_post: dict[int, int] = {}  # message id (entry, repeat or update) -> signal

    def repeat_of(self, text: str, at: datetime) -> int | None:
        """The signal an entry post repeats (same text within the window), or None."""
        if self._window <= timedelta(0):
            return None
        key = text_key(text)
        for entry in reversed(self._entries):
            if entry.text_key == key and at - entry.posted_at <= self._window:
                return entry.index
        return None

    def add_entry(  # noqa: PLR0913 - one entry's coordinates
        self,
        index: int,
        message_id: int,
        at: datetime,
        result: ParseResult,
        text: str,
        *,
        active: bool,
        ended_at: datetime | None,
    ) -> None:
        self._entries.append(
            _Entry(index, at, result.base, result.quote, text_key(text), active, ended_at)
        )
        self._by_post[message_id] = index

    def add_post(self, message_id: int, index: int) -> None:
        """A post that is ``index``'s (a repeat of the entry, a linked update)."""
        self._by_post[message_id] = index

    def link(
        self, result: ParseResult, reply_to: int | None, at: datetime
    ) -> tuple[int | None, str | None, int]:
        """(signal, "reply" | "pair", candidates) of an update; (None, None, n) when no single
        signal matches."""
        if result.kind is not SignalKind.UPDATE:
            return None, None, 0
        if reply_to is not None and reply_to in self._by_post:
            return self._by_post[reply_to], "reply", 1
        if result.base is None:
            return None, None, 0
        candidates = [
            e
            for e in self._entries
            if e.active
            and (e.ended_at is None or e.ended_at > at)
            and e.base == result.base
            and (result.quote is None or e.quote in {None, result.quote})
        ]
        if len(candidates) == 1:
            return candidates[0].index, "pair", 1
        return None, None, len(candidates)

    def apply_status(self, index: int, result: ParseResult) -> None:
        """The bot's status change: a stop hit, close or cancel ends an active signal."""
        if result.update is not None and result.update.type in STATUS_OF_UPDATE:
            for entry in self._entries:
                if entry.index == index:
                    entry.active = False
