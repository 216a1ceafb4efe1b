"""A ccxt exchange's market list shared between clients: the download of one client of a
venue (exchange id, derivatives, sandbox) serves every other client of that venue, in this
process or, on Redis, in any, for ``MARKETS_TTL``. The list is stored as JSON (ccxt's raw
market dicts: strings, numbers, booleans, None) and handed to ccxt with ``set_markets``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from core.cache import Cache
from core.cached import cached

__all__ = ["MarketsDownload", "shared_markets"]

MarketsDownload = Callable[[str, bool], Awaitable[dict[str, Any]]]  # (venue, reload) -> markets


def shared_markets(
    download: MarketsDownload, cache: Cache | None, ttl_s: float
) -> MarketsDownload:
    """``download`` through ``cache`` (unchanged without one, or with a TTL of 0)."""
    if cache is None or ttl_s <= 0:
        return download

    async def fetch(venue: str, reload: bool) -> dict[str, Any]:
        return await download(venue, reload)

    return cached(
        cache, ttl=ttl_s, key=_venue_key, returns=dict[str, Any], namespace="ccxt markets"
    )(fetch)


def _venue_key(venue: str, reload: bool) -> str:
    del reload  # a reload replaces its venue's entry
    return venue
