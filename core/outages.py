"""Which exceptions mean a backing service (the database, Redis, the network under them) is
away right now, as opposed to a bug: callers answer those with "unavailable, try again"
(the API's 503 with ``Retry-After``) instead of an internal error."""

from __future__ import annotations

import socket
from typing import Final

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

OUTAGES: Final = (
    ConnectionError,  # refused, reset, broken pipe
    socket.gaierror,  # the host's name does not resolve
    TimeoutError,
    OperationalError,  # the database dropped or refused the connection
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
)


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what it was raised from) says a backing service is away."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        # a bare OSError is what asyncio raises when every address refused the connection;
        # its subclasses (a missing file ...) are bugs, not outages
        if isinstance(current, OUTAGES) or type(current) is OSError:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
