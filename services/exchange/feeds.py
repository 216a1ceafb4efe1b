"""Price feeds: the port the paper exchange prices fills through, and its adapters.

- ``ReplayFeed``: real candles replayed as a live price (offline demo, tests); a perp symbol
  (``BTC/USDT:USDT``) without candles of its own is priced at its spot series.
- ``StaticFeed``: prices set by hand (tests, demos).
- ``ExchangeTickerFeed``: any ``ExchangeClient``'s ticker (online); given the app's cache,
  a ticker is kept ``TICKER_TTL_S`` (a few seconds: /price, the pair check and the fill of
  one order ask once) and the exchange's symbols ``SYMBOLS_TTL_S`` (an hour), in every process.

Every feed raises ``UserError("No price for XYZ/USDT on <feed name>")`` for a symbol it does
not price, and names itself in ``Ticker.source``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

from core.cache import Cache
from core.cached import cached
from core.clock import Clock, utc_now
from core.errors import UserError
from services.exchange.base import ExchangeClient, Ticker
from services.exchange.candle_files import load_directory
from services.exchange.candles import Candle, CandleSeries

__all__ = [
    "DEMO_DATA_DIR",
    "ExchangeTickerFeed",
    "PriceFeed",
    "ReplayFeed",
    "StaticFeed",
    "candle_path_price",
    "load_demo_series",
]

TICKER_TTL_S: Final = 5.0
SYMBOLS_TTL_S: Final = 3600.0
DEMO_DATA_DIR: Final = Path(__file__).resolve().parent / "data"
DEMO_EXCHANGE: Final = "Binance"
DEMO_ORIGIN: Final = "Harthor/marketlab"
# The wall moment the default replay's first candle is tied to (a UTC midnight): the replayed
# moment is then ``start + (now - WALL_ANCHOR) * speed`` wrapped to the replayed range. Chosen
# over a saved position: no state file to keep (the console runs in any directory), and two
# processes on one database replay the same moment.
WALL_ANCHOR: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Finest price step a replay quotes in; the series' own decimals are used when coarser.
_MIN_EXPONENT: Final = -12


def _normalize(symbol: str) -> str:
    return symbol.strip().upper()


def _no_price(symbol: str, feed_name: str) -> UserError:
    return UserError(f"No price for {symbol} on {feed_name}")


@runtime_checkable
class PriceFeed(Protocol):
    """Where the paper exchange gets its prices."""

    name: str

    async def ticker(self, symbol: str) -> Ticker:
        """Current price of a unified symbol ("BTC/USDT"); raises ``UserError`` when the feed
        does not price it."""
        ...

    def symbols(self) -> list[str]:
        """The symbols this feed prices, sorted (may be empty when it does not know)."""
        ...


# --- replay -------------------------------------------------------------------------------


def candle_path_price(candle: Candle, fraction: Decimal) -> Decimal:
    """Price ``fraction`` (0..1) of the way through a candle along a fixed path:
    bullish (close >= open) open -> low -> high -> close, bearish open -> high -> low -> close,
    at constant speed along the path. 0 gives the open, 1 the close; never leaves [low, high].
    """
    if candle.bullish:
        points = (candle.open, candle.low, candle.high, candle.close)
    else:
        points = (candle.open, candle.high, candle.low, candle.close)
    fraction = min(max(fraction, Decimal(0)), Decimal(1))
    legs = [abs(b - a) for a, b in zip(points, points[1:], strict=False)]
    total = sum(legs, Decimal(0))
    if total == 0:
        return candle.open
    remaining = fraction * total
    for (start, stop), length in zip(zip(points, points[1:], strict=False), legs, strict=True):
        if length == 0:
            continue
        if remaining <= length:
            price = start + (stop - start) * (remaining / length)
            return min(max(price, candle.low), candle.high)
        remaining -= length
    return candle.close


def _price_exponent(series: CandleSeries) -> int:
    exponent = 0
    for c in series.candles:
        for value in (c.open, c.high, c.low, c.close):
            value_exponent = value.as_tuple().exponent
            if isinstance(value_exponent, int):
                exponent = min(exponent, value_exponent)
    return max(exponent, _MIN_EXPONENT)


@dataclasses.dataclass(frozen=True, slots=True)
class _Track:
    series: CandleSeries
    quantum: Decimal
    source: str


class ReplayFeed:
    """Replays real candles as a live price.

    The replay clock is at the first candle of the range all series share at the wall time
    ``anchor`` (default: when the feed is created), advances ``speed`` times as fast as
    ``clock``, and wraps to the start after the last candle, so a demo never runs out.
    ``default()`` anchors at ``WALL_ANCHOR``, so the replayed moment is a function of the wall
    time alone: a restart goes on where the replay would be had it never stopped, and every
    process sharing the database prices paper fills alike. Within a candle the price follows
    ``candle_path_price``, rounded to the series' price decimals. ``Ticker.at`` is the wall
    time (``clock()``); ``replay_time()`` tells which market moment is being replayed. Bid and
    ask are ``None`` (candles carry no book).
    """

    def __init__(
        self,
        series: Iterable[CandleSeries],
        *,
        clock: Clock = utc_now,
        speed: float = 1.0,
        name: str = "replay",
        anchor: datetime | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.name = name
        self._clock = clock
        self._speed = speed
        self._tracks: dict[str, _Track] = {}
        for s in series:
            if not s.candles:
                raise ValueError(f"{s.symbol} {s.timeframe}: no candles to replay")
            key = _normalize(s.symbol)
            if key in self._tracks:
                raise ValueError(f"Two series for {s.symbol}: replay one timeframe per symbol")
            label = " ".join(p for p in (s.exchange, s.symbol, s.timeframe) if p)
            source = f"replay of {label} candles" + (f" ({s.origin})" if s.origin else "")
            self._tracks[key] = _Track(s, Decimal(1).scaleb(_price_exponent(s)), source)
        if not self._tracks:
            raise ValueError("ReplayFeed needs at least one candle series")
        self.start = max(t.series.start for t in self._tracks.values())
        self.end = min(t.series.end for t in self._tracks.values())
        if self.start >= self.end:
            raise ValueError("The candle series share no time range to replay")
        self._started_at = self._now() if anchor is None else anchor

    @classmethod
    def default(cls, *, clock: Clock = utc_now, speed: float = 1.0) -> ReplayFeed:
        """The shipped offline demo: Binance spot and perp 1h candles (``data/README.md``),
        anchored at ``WALL_ANCHOR``: at ``speed`` 1 the replay shows the wall clock's UTC
        time of day (the slice spans whole days from midnight), on a day that moves on with
        the calendar, and a restart does not start over at the first candle."""
        return cls(load_demo_series(), clock=clock, speed=speed, anchor=WALL_ANCHOR)

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("The replay clock must return aware datetimes")
        return now

    def replay_time(self, now: datetime | None = None) -> datetime:
        """The market moment being replayed at wall time ``now`` (default: the clock)."""
        elapsed = ((now if now is not None else self._now()) - self._started_at) * self._speed
        return self.start + elapsed % (self.end - self.start)

    def wall_offset(self, now: datetime | None = None) -> timedelta | None:
        """Wall time minus market time in the replay cycle running at ``now``: the market
        moment m of this cycle shows at wall time m + offset (the cycle before at m + offset -
        (end - start)). None unless the replay runs at wall speed (``speed`` 1), where a candle
        lasts as long on the wall as in the market."""
        if self._speed != 1:
            return None
        at = now if now is not None else self._now()
        return at - self.replay_time(at)

    def all_series(self) -> list[CandleSeries]:
        """Every replayed series (one per symbol)."""
        return [track.series for track in self._tracks.values()]

    def series_for(self, symbol: str) -> CandleSeries:
        """The candles behind ``symbol``; raises ``UserError`` for an unknown symbol."""
        return self._track(symbol).series

    def _track(self, symbol: str) -> _Track:
        key = _normalize(symbol)
        track = self._tracks.get(key)
        if track is None and ":" in key:  # a perp without candles: its spot series
            track = self._tracks.get(key.partition(":")[0])
        if track is None:
            raise _no_price(symbol, self.name)
        return track

    def price_at(self, symbol: str, market_time: datetime) -> Decimal:
        """Replayed price of ``symbol`` at a market moment (not a wall time). Inside a gap the
        last close holds. Raises ``UserError`` for an unknown symbol, ``ValueError`` before the
        first candle."""
        track = self._track(symbol)
        series = track.series
        index = series.index_at_or_before(market_time)
        if index is None:
            raise ValueError(f"{series.symbol}: no candle at or before {market_time}")
        candle = series.candles[index]
        elapsed = market_time - candle.open_time
        interval = series.interval
        if elapsed >= interval:
            return candle.close
        fraction = Decimal(elapsed // timedelta(microseconds=1)) / Decimal(
            interval // timedelta(microseconds=1)
        )
        return candle_path_price(candle, fraction).quantize(track.quantum)

    async def ticker(self, symbol: str) -> Ticker:
        track = self._track(symbol)
        now = self._now()
        price = self.price_at(symbol, self.replay_time(now))
        key = _normalize(symbol)
        return Ticker(
            symbol=track.series.symbol if ":" not in key else key,
            last=price,
            bid=None,
            ask=None,
            at=now,
            source=track.source,
        )

    def symbols(self) -> list[str]:
        """Every series' symbol, and the perp of each spot series settled in its quote."""
        symbols = {t.series.symbol for t in self._tracks.values()}
        for symbol in list(symbols):
            quote = symbol.partition("/")[2]
            if quote and ":" not in symbol:
                symbols.add(f"{symbol}:{quote}")
        return sorted(symbols)


@functools.cache
def load_demo_series() -> tuple[CandleSeries, ...]:
    """The shipped demo slice, loaded once per process (series are immutable)."""
    return tuple(load_directory(DEMO_DATA_DIR, exchange=DEMO_EXCHANGE, origin=DEMO_ORIGIN))


# --- static -------------------------------------------------------------------------------


def _money(value: Decimal | int | str | float) -> Decimal:
    # floats are accepted for convenience and go through str, as everywhere in the project
    price = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not price.is_finite() or price <= 0:
        raise ValueError(f"A price must be a positive number, got {value!r}")
    return price


class StaticFeed:
    """Prices set by hand with ``set_price``; for tests and demos."""

    name: str = "static"

    def __init__(
        self,
        prices: Mapping[str, Decimal | int | str] | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._clock = clock
        self._prices: dict[str, tuple[Decimal, Decimal | None, Decimal | None]] = {}
        for symbol, price in (prices or {}).items():
            self.set_price(symbol, price)

    def set_price(
        self,
        symbol: str,
        price: Decimal | int | str | float,
        *,
        bid: Decimal | int | str | float | None = None,
        ask: Decimal | int | str | float | None = None,
    ) -> None:
        """Set (or replace) the price of ``symbol``; raises ``ValueError`` for price <= 0."""
        self._prices[_normalize(symbol)] = (
            _money(price),
            None if bid is None else _money(bid),
            None if ask is None else _money(ask),
        )

    def remove(self, symbol: str) -> None:
        """Stop pricing ``symbol`` (no error if it was not priced)."""
        self._prices.pop(_normalize(symbol), None)

    async def ticker(self, symbol: str) -> Ticker:
        wanted = key = _normalize(symbol)
        if key not in self._prices and ":" in key:  # a perp without its own price: its spot
            key = key.split(":", 1)[0]
        if key not in self._prices:
            raise _no_price(symbol, self.name)
        last, bid, ask = self._prices[key]
        return Ticker(
            symbol=wanted, last=last, bid=bid, ask=ask, at=self._clock(), source=self.name
        )

    def symbols(self) -> list[str]:
        return sorted(self._prices)


# --- live exchange ------------------------------------------------------------------------


class ExchangeTickerFeed:
    """Prices from a (live or sandbox) exchange's ticker. ``symbols()`` is empty until
    ``load_symbols()`` or the ``symbols`` argument fills it; once known, other symbols are
    refused without a request."""

    def __init__(
        self, client: ExchangeClient, symbols: Iterable[str] = (), cache: Cache | None = None
    ) -> None:
        self._client = client
        self.name = f"{client.name} ticker"
        self._symbols = {_normalize(s) for s in symbols}
        self._ticker = client.ticker
        self._active_symbols = self._read_active_symbols
        if cache is not None:
            self._ticker = cached(
                cache, ttl=TICKER_TTL_S, key=_symbol_key, returns=Ticker, namespace=self.name
            )(client.ticker)
            self._active_symbols = cached(
                cache,
                ttl=SYMBOLS_TTL_S,
                key=_all_key,
                returns=list[str],
                namespace=f"{client.name} symbols",
            )(self._read_active_symbols)

    @property
    def client(self) -> ExchangeClient:
        """The exchange client the prices come from (the tracker reads its candles)."""
        return self._client

    async def load_symbols(self) -> list[str]:
        """Fetch the exchange's active markets; returns them sorted."""
        self._symbols = {_normalize(s) for s in await self._active_symbols()}
        return self.symbols()

    async def _read_active_symbols(self) -> list[str]:
        markets = await self._client.markets()
        return sorted(s for s, m in markets.items() if m.active)

    async def ticker(self, symbol: str) -> Ticker:
        """The exchange's ticker; its errors (``TemporaryExchangeError``...) pass through."""
        if self._symbols and _normalize(symbol) not in self._symbols:
            raise _no_price(symbol, self.name)
        ticker = await self._ticker(symbol)
        return ticker if ticker.source else dataclasses.replace(ticker, source=self.name)

    def symbols(self) -> list[str]:
        return sorted(self._symbols)


def _symbol_key(symbol: str) -> str:
    return symbol


def _all_key() -> str:
    return "all"
