"""A ccxt exchange's market list shared between clients.

Two levels, both per venue (exchange id, derivatives, sandbox):
- ``shared_markets``: the download of one client serves every other client of that venue, in
  this process or, on Redis, in any, for ``MARKETS_TTL``. The list is stored as JSON (ccxt's
  raw market dicts: strings, numbers, booleans, None).
- ``MarketTables``: what ccxt's ``set_markets`` makes of that list (markets by symbol and by
  id, symbols, currencies...) is made once per venue by one client and then shared by
  reference by every other client of the same factory. That is ccxt's own advice for many
  objects of one exchange (ccxt/ccxt#7312, examples/js/shared-load-markets.js): on Binance the
  tables of its ~3,000 markets cost each object megabytes and milliseconds, and a signal's
  thousand live followers would each build their own copy on their first order.

Invariants: a client's tables are fresh for ``markets_ttl_s`` from when they were built (by it
or by another client); a newer build of its venue replaces them at its next load; a failed
refresh keeps the stale tables (and says so in the log). The tables are read-only in ccxt
(``set_markets`` replaces them, never edits them), so sharing them changes nothing a client
reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import structlog

from core.cache import Cache
from core.cached import cached
from core.clock import Clock
from core.errors import TemporaryExchangeError

__all__ = ["MarketTables", "MarketsDownload", "MarketsLoader", "shared_markets"]

log = structlog.get_logger(__name__)

MarketsDownload = Callable[[str, bool], Awaitable[dict[str, Any]]]  # (venue, reload) -> markets

# the attributes ccxt's set_markets assigns (ccxt's example shares the same list)
TABLES: Final = (
    "markets",
    "markets_by_id",
    "symbols",
    "ids",
    "currencies",
    "currencies_by_id",
    "baseCurrencies",
    "quoteCurrencies",
    "codes",
)


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


@dataclass(frozen=True, slots=True)
class _Built:
    tables: dict[str, Any]
    at: datetime  # when the list they were made from was loaded


class MarketTables:
    """One factory's market tables per venue (see the module)."""

    def __init__(self) -> None:
        self._by_venue: dict[str, _Built] = {}

    def get(self, venue: str) -> _Built | None:
        return self._by_venue.get(venue)

    def publish(self, venue: str, exchange: Any, at: datetime) -> None:
        """``exchange``'s tables, loaded at ``at``, for the venue's other clients."""
        built = self._by_venue.get(venue)
        if built is None or built.at <= at:
            self._by_venue[venue] = _Built({name: getattr(exchange, name) for name in TABLES}, at)

    def seed(self, venue: str, exchange: Any, markets: Mapping[str, Any], at: datetime) -> None:
        """Saved markets (``EXCHANGE_MARKETS_DIR``) as the venue's tables, made once: the
        first object of the venue builds them, every later one takes them."""
        built = self._by_venue.get(venue)
        if built is None:
            exchange.set_markets(dict(markets))
            self.publish(venue, exchange, at)
        else:
            adopt(exchange, built)


def adopt(exchange: Any, built: _Built) -> None:
    for name, value in built.tables.items():
        setattr(exchange, name, value)


class MarketsLoader:
    """A client's markets: its own for ``ttl_s``, else the venue's shared tables when newer,
    else a (shared) download turned into tables and published."""

    def __init__(
        self,
        exchange: Any,
        venue: str,
        download: MarketsDownload,
        ttl_s: float,
        clock: Clock,
        tables: MarketTables | None,
    ) -> None:
        self._ex = exchange
        self._venue = venue
        self._download = download
        self._ttl_s = ttl_s
        self._clock = clock
        self._tables = tables
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    def fresh(self) -> bool:
        loaded = self._loaded_at
        return loaded is not None and bool(self._ex.markets) and self._young(loaded)

    def _young(self, at: datetime) -> bool:
        return (self._clock() - at).total_seconds() < self._ttl_s

    async def load(self) -> Mapping[str, Any]:
        """Markets cached for ``ttl_s`` (ccxt's own table: read it, never change it); a failed
        refresh keeps the stale copy."""
        if self.fresh():
            return self._ex.markets  # type: ignore[no-any-return]
        async with self._lock:
            if self.fresh() or self._adopt_shared():
                return self._ex.markets  # type: ignore[no-any-return]
            reload = self._loaded_at is not None
            try:
                raw = await self._download(self._venue, reload)
                if not self._ex.markets or raw.keys() != self._ex.markets.keys():
                    self._ex.set_markets(raw)  # another client's download, from the cache
            except TemporaryExchangeError:
                if not reload:
                    raise
                log.warning("markets_refresh_failed", venue=self._venue)
            self._loaded_at = self._clock()
            if self._tables is not None:
                self._tables.publish(self._venue, self._ex, self._loaded_at)
            return self._ex.markets  # type: ignore[no-any-return]

    def _adopt_shared(self) -> bool:
        built = self._tables.get(self._venue) if self._tables is not None else None
        if built is None or not self._young(built.at):
            return False
        if self._loaded_at is not None and built.at <= self._loaded_at:
            return False
        adopt(self._ex, built)
        self._loaded_at = built.at
        return True
