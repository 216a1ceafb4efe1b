"""The live exchange adapter: ``ExchangeClient`` over ``ccxt.async_support``.

Floats exist only at the ccxt edge (this module and ``ccxt_payloads``, which turns ccxt's
answers into the port's ``Decimal`` types); everything crossing the port is ``Decimal``. ccxt
errors are translated once (``ccxt_errors``) into ``core.errors`` with a message that says what
was attempted and never holds a key, a secret or ccxt's own wording (the ccxt exception stays
reachable as ``__cause__`` for logs). What one exchange does differently lives in
``ccxt_quirks``, chosen by exchange id. Order creation is sent exactly once: ccxt's own
``maxRetriesOnFailure`` stays 0 and a timeout or 5xx surfaces as ``TemporaryExchangeError`` for
the caller to reconcile by client order id. Read-only calls retry temporary errors a bounded
number of times (tenacity, with an injectable ``sleep``).

``default_type`` "swap" makes a derivatives client (ccxt ``options.defaultType``; on binance the
USDⓈ-M perpetuals of ``/fapi``): symbols are ccxt swap symbols ("BTC/USDT:USDT"), amounts are
contracts (only markets whose contract is one unit of the base are traded), ``set_leverage``
sets isolated margin and leverage (``ccxt_leverage``), ``reduce_only`` orders send
``reduceOnly`` and stop orders go out as the exchange's stop-market order (ccxt's unified
``triggerPrice`` on a market order: binance ``STOP_MARKET``). Spot clients refuse both.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from math import ceil
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

import ccxt
import certifi
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from core.cache import Cache
from core.clock import Clock, utc_now
from core.domain import OrderSide
from core.errors import (
    ExchangeError,
    NotFound,
    OrderRejected,
    TemporaryExchangeError,
    UserError,
)
from services.exchange import ccxt_payloads as payloads
from services.exchange.base import (
    Balance,
    MarketInfo,
    OrderRequest,
    OrderResult,
    Position,
    Ticker,
)
from services.exchange.candles import Candle
from services.exchange.ccxt_construct import new_exchange
from services.exchange.ccxt_errors import translate_error
from services.exchange.ccxt_leverage import set_isolated_leverage
from services.exchange.ccxt_markets import MarketsLoader, MarketTables, shared_markets
from services.exchange.ccxt_orders import prepare_order
from services.exchange.ccxt_payloads import to_decimal
from services.exchange.ccxt_quirks import quirks_for
from services.exchange.ccxt_throttle import install as install_throttler
from services.exchange.circuit import CircuitBreaker, breaker_for

log = structlog.get_logger(__name__)

T = TypeVar("T")

DEFAULT_READ_RETRIES: Final = 2
DEFAULT_RETRY_BACKOFF_S: Final = 0.25


def rewrite_urls(urls: object, base_url: str) -> object:
    """Replace scheme and host of every URL in ccxt's ``urls["api"]`` (nested dicts too)."""
    if isinstance(urls, dict):
        return {key: rewrite_urls(value, base_url) for key, value in urls.items()}
    if isinstance(urls, str):
        base = urlsplit(base_url)
        parts = urlsplit(urls)
        path = base.path.rstrip("/") + parts.path
        return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))
    return urls


class CcxtExchangeClient:
    """``ExchangeClient`` for any ccxt exchange id.

    ``api_key``/``secret``/``password`` are plain text decrypted by the caller; they go to ccxt
    only and are never logged or put into an error. ``urls_override`` points every API URL at
    another host (tests: the fake exchange); ``markets`` are saved ccxt markets so the first
    load needs no HTTP, ``markets_cache`` shares a download (``ccxt_markets``); ``exchange``
    injects a ready ccxt-like object (unit tests), ``sleep``
    the wait between read retries.
    Raises ``UserError`` for an unknown exchange id or a sandbox the exchange does not have.
    """

    def __init__(
        self,
        exchange_id: str,
        api_key: str = "",
        secret: str = "",
        password: str | None = None,
        *,
        sandbox: bool = False,
        markets_ttl_s: float = 3600.0,
        timeout_ms: int = 10_000,
        urls_override: str | None = None,
        markets: Mapping[str, Any] | None = None,
        clock: Clock = utc_now,
        rate_limit: bool = True,
        default_type: str = "spot",
        read_retries: int = DEFAULT_READ_RETRIES,
        retry_backoff_s: float = DEFAULT_RETRY_BACKOFF_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        exchange: Any | None = None,
        breaker: CircuitBreaker | None = None,
        markets_cache: Cache | None = None,
        http_session: Any | None = None,  # an aiohttp session shared by clients (the factory's)
        market_tables: MarketTables | None = None,  # market tables shared by clients (ditto)
    ) -> None:
        self.name = exchange_id
        self._derivatives = default_type != "spot"
        self._quirks = quirks_for(exchange_id, derivatives=self._derivatives)
        self._clock = clock
        # A template: each read runs on a copy, since a retrying object holds one call's state.
        self._read_retrying = AsyncRetrying(
            retry=retry_if_exception_type(TemporaryExchangeError),
            stop=stop_after_attempt(read_retries + 1),
            wait=wait_exponential(multiplier=retry_backoff_s),  # backoff, 2x, 4x ...
            sleep=sleep,
            before_sleep=self._log_read_retry,
            reraise=True,
        )
        if exchange is None:
            config: dict[str, Any] = {
                "apiKey": api_key,
                "secret": secret,
                "timeout": timeout_ms,
                "enableRateLimit": rate_limit,
                "options": {
                    "defaultType": default_type,
                    "maxRetriesOnFailure": 0,  # never let ccxt resend an order blind (F5)
                    **self._quirks.ccxt_options,
                },
            }
            if password:
                config["password"] = password
            if markets and market_tables is None:
                config["markets"] = dict(markets)
            if http_session is not None:  # ccxt then neither makes nor closes its own
                config["session"] = http_session
            exchange = _new_exchange(exchange_id, config, sandbox=sandbox)
            if urls_override:
                exchange.urls["api"] = rewrite_urls(exchange.urls["api"], urls_override)
        self._quirks.prepare(exchange)
        venue = (
            exchange_id
            + (":derivatives" if self._derivatives else "")
            + (":sandbox" if sandbox else "")
        )
        self._breaker = breaker or breaker_for(venue)
        self._venue = venue
        download = shared_markets(self._download_markets, markets_cache, markets_ttl_s)
        self._markets = MarketsLoader(
            exchange, venue, download, markets_ttl_s, clock, market_tables
        )
        if markets and market_tables is not None:
            market_tables.seed(venue, exchange, markets, clock())
        self._ex: Any = exchange
        self._display = str(getattr(exchange, "name", None) or exchange_id)

    # -- markets ------------------------------------------------------------------------------

    async def markets(self) -> dict[str, MarketInfo]:
        raw = await self._load_markets()
        return {symbol: self._market_info(m) for symbol, m in raw.items()}

    async def market(self, symbol: str) -> MarketInfo:
        """Raises ``UserError`` when the exchange does not list ``symbol``."""
        return self._market_info(await self._raw_market(symbol))

    async def _raw_market(self, symbol: str) -> dict[str, Any]:
        raw = await self._load_markets()
        market = raw.get(symbol)
        if market is None:
            raise UserError(f"{self._display} does not list {symbol}.")
        return dict(market)

    async def _load_markets(self) -> Mapping[str, Any]:
        return await self._markets.load()

    async def _download_markets(self, venue: str, reload: bool) -> dict[str, Any]:
        del venue  # the shared cache's key
        await self._read("load the market list", lambda: self._ex.load_markets(reload=reload))
        return dict(self._ex.markets)

    def _market_info(self, market: Mapping[str, Any]) -> MarketInfo:
        mode = getattr(self._ex, "precisionMode", ccxt.TICK_SIZE)
        return payloads.market_info(market, mode)

    # -- reads --------------------------------------------------------------------------------

    async def ticker(self, symbol: str) -> Ticker:
        await self._raw_market(symbol)
        raw = await self._read(f"read the {symbol} price", lambda: self._ex.fetch_ticker(symbol))
        last = to_decimal(raw.get("last")) or to_decimal(raw.get("close"))
        if last is None:
            raise ExchangeError(f"{self._display} gave no last price for {symbol}.")
        return Ticker(
            symbol=symbol,
            last=last,
            bid=to_decimal(raw.get("bid")),
            ask=to_decimal(raw.get("ask")),
            at=payloads.timestamp(raw.get("timestamp")) or self._clock(),
            source=f"{self.name} ticker",
        )

    async def candles(
        self, symbol: str, timeframe: str, since: datetime, limit: int = 1000
    ) -> list[Candle]:
        """Up to ``limit`` candles of ``symbol`` opening at or after ``since`` (oldest first),
        from the exchange's public OHLCV endpoint; the candle still forming is included."""
        await self._raw_market(symbol)
        since_ms = int(since.timestamp() * 1000)
        rows = await self._read(
            f"read the {symbol} candles",
            lambda: self._ex.fetch_ohlcv(symbol, timeframe, since_ms, limit),
        )
        return payloads.candles(rows)

    async def balances(self) -> list[Balance]:
        return payloads.balances(
            await self._read("read the account balance", self._ex.fetch_balance)
        )

    async def fetch_order(self, symbol: str, exchange_order_id: str) -> OrderResult:
        """Raises ``NotFound`` when the exchange does not know the order."""
        await self._raw_market(symbol)
        raw = await self._read(
            f"look up order {exchange_order_id} on {symbol}",
            self._quirks.fetch_order(self._ex, symbol, exchange_order_id),
        )
        return payloads.order_result(raw)

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderResult | None:
        """``None`` when the exchange does not (yet) know the id (F6: may still appear)."""
        await self._raw_market(symbol)
        call = self._quirks.order_by_client_id(self._ex, symbol, client_order_id)
        try:
            raw = await self._read(f"look up order {client_order_id} on {symbol}", call)
        except NotFound:
            return None
        return payloads.order_result(raw, client_order_id=client_order_id)

    async def open_orders(self, symbol: str | None = None) -> list[OrderResult]:
        if symbol is not None:
            await self._raw_market(symbol)
        raw = await self._read(
            f"list open orders{f' on {symbol}' if symbol else ''}",
            self._quirks.open_orders(self._ex, symbol),
        )
        return [payloads.order_result(order) for order in raw]

    async def positions(self) -> list[Position]:
        """Spot holds no positions (holdings are balances); derivatives ask the exchange for
        its open positions: side, size, entry, mark, P/L, leverage, liquidation price, margin."""
        if not self._derivatives or not self._ex.has.get("fetchPositions"):
            return []
        await self._load_markets()
        return payloads.positions(
            await self._read("read open positions", self._ex.fetch_positions)
        )

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        """Isolated margin and ``leverage`` for ``symbol`` before its first order; returns the
        leverage in force (kept as it is when the exchange refuses a change while a position
        is open). Raises ``UserError`` on spot clients, for an unlisted symbol or a leverage
        outside 1..125."""
        if not self._derivatives:
            raise UserError(f"{self._display} spot has no leverage.")
        await self._raw_market(symbol)
        return await set_isolated_leverage(
            self._ex,
            self._quirks,
            self._read,
            symbol=symbol,
            leverage=leverage,
            display=self._display,
        )

    async def withdrawals_enabled(self) -> bool | None:
        """Where the exchange exposes key permissions (binance, bybit, okx), whether the key may
        withdraw; else None."""
        return await self._quirks.withdrawals_enabled(self._ex, self._read)

    async def ip_restricted(self) -> bool | None:
        """Where the exchange says (binance, bybit, okx), whether the key is limited to IPs."""
        return await self._quirks.ip_restricted(self._ex, self._read)

    # -- writes -------------------------------------------------------------------------------

    async def create_order(self, request: OrderRequest) -> OrderResult:
        """Send once with the client order id. Raises ``UserError`` for an order the market can
        never take (size, unknown symbol), ``OrderRejected`` when the exchange refuses it and
        ``TemporaryExchangeError`` when the outcome is unknown (reconcile by client id).
        While the venue's circuit is open the order is refused unsent (``OrderRejected``);
        half-open, the order goes and its answer closes or reopens the circuit."""
        wait = self._breaker.open_for_s()
        if wait is not None:
            raise OrderRejected(
                f"{self._display} is not answering right now (several failures in a row); the "
                f"order was not sent ({request.side.value} {request.symbol}). Try again in about "
                f"{ceil(wait)} s."
            )
        info = self._market_info(await self._raw_market(request.symbol))
        order = await prepare_order(
            self._ex,
            request,
            info,
            derivatives=self._derivatives,
            display=self._display,
            reference_price=lambda: self._reference_price(request),
        )
        action = order.action
        try:
            raw = await self._ex.create_order(
                request.symbol,
                order.type,
                request.side.value,
                float(order.amount),
                None if order.limit is None else float(order.limit),
                order.params,
            )
        except ccxt.BaseError as exc:
            error = translate_error(exc, self._display, action)
            self._count(error)
            if isinstance(error, TemporaryExchangeError):
                error = TemporaryExchangeError(
                    f"{self._display} did not confirm the order (tried to {action}); its outcome "
                    f"is unknown and will be checked by client order id "
                    f"{request.client_order_id}, not sent again."
                )
            log.warning(
                "order_create_failed",
                exchange=self.name,
                client_order_id=request.client_order_id,
                error=type(exc).__name__,
            )
            raise error from exc
        self._breaker.answered()
        log.info(
            "order_placed",
            exchange=self.name,
            client_order_id=request.client_order_id,
            exchange_order_id=raw.get("id"),
        )
        return payloads.order_result(raw, request=request)

    async def cancel_order(self, symbol: str, exchange_order_id: str) -> OrderResult:
        """Raises ``NotFound`` when there is no such open order (already filled or cancelled).
        Not retried: a cancel that timed out is checked by reading the order."""
        await self._raw_market(symbol)
        raw = await self._translated(
            f"cancel order {exchange_order_id} on {symbol}",
            self._quirks.cancel_order(self._ex, symbol, exchange_order_id),
        )
        return payloads.order_result(raw)

    async def close(self) -> None:
        await self._ex.close()

    # -- helpers ------------------------------------------------------------------------------

    async def _reference_price(self, request: OrderRequest) -> Decimal:
        """The price a market order will likely fill at, for the minimum-notional check: read
        once per venue, symbol and side for ``REFERENCE_PRICE_S`` by every client of the
        process (a signal's live followers on one exchange would each ask for the same
        ticker just before their order)."""
        key = (self._venue, request.symbol, request.side.value)
        now = time.monotonic()
        memo = _REFERENCE_PRICES.get(key)
        if memo is not None and now - memo[0] < REFERENCE_PRICE_S:
            return memo[1]
        ticker = await self.ticker(request.symbol)
        side_price = ticker.ask if request.side is OrderSide.BUY else ticker.bid
        price = side_price or ticker.last
        if len(_REFERENCE_PRICES) > 10_000:  # bounded: old keys go all at once
            _REFERENCE_PRICES.clear()
        _REFERENCE_PRICES[key] = (now, price)
        return price

    async def _read(self, action: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run a read-only ccxt call; retry ``TemporaryExchangeError`` ``read_retries`` times
        after ``retry_backoff_s``, then twice that, and so on."""
        return await self._read_retrying.copy()(self._translated, action, call)

    async def _translated(self, action: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run a ccxt call once; its ccxt error becomes ours (``ccxt_errors``). While the
        venue's circuit is open nothing is sent and the call fails as temporary."""
        wait = self._breaker.wait_s()
        if wait is not None:
            raise TemporaryExchangeError(
                f"{self._display} is not answering right now (several failures in a row); "
                f"not asked again for about {ceil(wait)} s (tried to {action})."
            )
        try:
            result = await call()
        except ccxt.BaseError as exc:
            error = translate_error(exc, self._display, action)
            self._count(error)
            raise error from exc
        self._breaker.answered()
        return result

    def _count(self, error: Exception) -> None:
        """A temporary failure trips the breaker; any other error is an answer."""
        if isinstance(error, TemporaryExchangeError):
            self._breaker.failed()
        else:
            self._breaker.answered()

    def _log_read_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        log.info(
            "exchange_read_retried",
            exchange=self.name,
            error=type(error.__cause__ if error is not None else None).__name__,  # ccxt's
            attempt=state.attempt_number,
        )


def _new_exchange(exchange_id: str, config: dict[str, Any], *, sandbox: bool) -> Any:
    """A ccxt async exchange object; raises ``UserError`` for an unknown id or a sandbox the
    exchange does not have."""
    exchange = new_exchange(exchange_id, config)  # ccxt's constructor, its per-class work once
    install_throttler(exchange)  # ccxt's budget, waited for once instead of every millisecond
    if exchange.verify and exchange.ssl_context is None:
        exchange.ssl_context = _ssl_context(exchange.cafile)
    if sandbox:
        no_sandbox = UserError(f"{exchange_id} has no testnet/sandbox to switch to.")
        # ccxt (python) keeps urls["test"] = None for exchanges without a sandbox, and
        # set_sandbox_mode then fails with a TypeError instead of NotSupported.
        if not exchange.urls.get("test"):
            raise no_sandbox
        try:
            exchange.set_sandbox_mode(True)
        except ccxt.NotSupported as exc:
            raise no_sandbox from exc
    return exchange


_SSL_CONTEXTS: dict[str | None, ssl.SSLContext] = {}
REFERENCE_PRICE_S: Final = 2.0
_REFERENCE_PRICES: dict[tuple[str, str, str], tuple[float, Decimal]] = {}


def shared_ssl_context() -> ssl.SSLContext:
    return _ssl_context(certifi.where())  # the one ccxt's own connections would use


def _ssl_context(cafile: str | None) -> ssl.SSLContext:
    """One TLS context per CA file for every client of the process. ccxt makes its own in each
    exchange object's first request, reading the CA bundle again: about 22 ms of CPU per client
    (measured) and its own certificate store. A context is safe to share; built as ccxt does."""
    context = _SSL_CONTEXTS.get(cafile)
    if context is None:
        context = _SSL_CONTEXTS[cafile] = ssl.create_default_context(cafile=cafile)
    return context
