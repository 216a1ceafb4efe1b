"""The clock: the one way code asks what time it is.

Everything that reads the time takes a ``Clock`` (a zero-argument callable returning an aware
UTC ``datetime``) with ``utc_now`` as the default, so tests pass a fake clock they move by hand
instead of patching ``datetime``. It lives in ``core`` because the ORM's column defaults use it
too; services, handlers and the bot import it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
