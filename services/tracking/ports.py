"""What the tracker asks of the presentation layer (implemented in ``handlers``)."""

from __future__ import annotations

from typing import Protocol

from services.signal_dto import SignalView
from services.tracking.dto import OutcomeView
from services.tracking.model import TrackEvent


class TrackerMessages(Protocol):
    def tracked_event(self, signal: SignalView, event: TrackEvent, outcome: OutcomeView) -> str:
        """A step the prices took (filled, target k, stop, expired, not filled), for a
        follower of the signal's source."""
        ...
