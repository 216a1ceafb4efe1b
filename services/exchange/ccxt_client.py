"""The live exchange adapter: ``ExchangeClient`` over ``ccxt.async_support``.

Floats exist only inside this module (ccxt speaks floats); everything crossing the port is
``Decimal``. ccxt errors are translated here, once, into ``core.errors`` with a message that says
what was attempted and never holds a key, a secret or ccxt's own wording (the ccxt exception
stays reachable as ``__cause__`` for logs). Order creation is sent exactly once: ccxt's own
``maxRetriesOnFailure`` stays 0 and a timeout or 5xx surfaces as ``TemporaryExchangeError`` for
the caller to reconcile by client order id. Read-only calls retry temporary errors a bounded
number of times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

import ccxt
import ccxt.async_support as ccxt_async
import structlog

from core.domain import OrderSide, OrderStatus, OrderType
from core.errors import (
    AuthenticationFailed,
    ExchangeError,
    NotFound,
    OrderRejected,
    TemporaryExchangeError,
    UserError,
)
from services.exchange.base import (
    Balance,
    MarketInfo,
    OrderRequest,
    OrderResult,
    Position,
    Ticker,
)

log = structlog.get_logger(__name__)

T = TypeVar("T")

DEFAULT_READ_RETRIES: Final = 2
DEFAULT_RETRY_BACKOFF_S: Final = 0.25
BALANCE_META_KEYS: Final = frozenset({"info", "free", "used", "total", "timestamp", "datetime"})

# Exchange-specific ccxt options. binance: load spot markets only (no margin pairs, no private
# currencies call), and allow open orders without a symbol (ccxt refuses by default).
EXCHANGE_OPTIONS: Final[dict[str, dict[str, Any]]] = {
    "binance": {
        "fetchMarkets": {"types": ["spot"]},
        "fetchMargins": False,
        "fetchCurrencies": False,
        "warnOnFetchOpenOrdersWithoutSymbol": False,
    },
}

CCXT_STATUS: Final[dict[str, OrderStatus]] = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}


def to_decimal(value: object) -> Decimal | None:
    """ccxt number (float, int, str or None) -> ``Decimal`` via its shortest ``str``."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def fmt(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros: ``0.00001``, ``50000``."""
    text = format(value.normalize(), "f")
    return text


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


def translate_error(exc: ccxt.BaseError, exchange: str, action: str) -> Exception:
    """One ccxt exception -> our error; ``action`` says what was attempted ("buy 0.5 BTC ...")."""
    if isinstance(exc, ccxt.InvalidNonce):
        # Clock skew: retrying will not help and may storm the exchange (F14).
        return ExchangeError(
            f"{exchange} rejected the request time while trying to {action}; "
            "the server clock may be out of sync."
        )
    if isinstance(exc, (ccxt.NetworkError, ccxt.OperationFailed)):
        # Timeouts, 5xx, DDoS/rate limits, and unreadable answers: the outcome is unknown.
        return TemporaryExchangeError(
            f"{exchange} did not answer in time while trying to {action}; try again shortly."
        )
    if isinstance(exc, ccxt.AuthenticationError):
        return AuthenticationFailed(
            f"{exchange} refused the API keys while trying to {action}. "
            "Check the key, its permissions and its IP whitelist."
        )
    if isinstance(exc, ccxt.InsufficientFunds):
        return OrderRejected(f"Insufficient funds: tried to {action}.")
    if isinstance(exc, ccxt.OrderNotFound):
        return NotFound(f"{exchange} does not know that order (tried to {action}).")
    if isinstance(exc, (ccxt.InvalidOrder, ccxt.BadRequest)):
        return OrderRejected(f"{exchange} rejected the request: tried to {action}.")
    if isinstance(exc, ccxt.NotSupported):
        return UserError(f"{exchange} does not support this: tried to {action}.")
    return ExchangeError(f"{exchange} did not accept the request: tried to {action}.")


class CcxtExchangeClient:
    """``ExchangeClient`` for any ccxt exchange id.

    ``api_key``/``secret``/``password`` are plain text decrypted by the caller; they go to ccxt
    only and are never logged or put into an error. ``urls_override`` points every API URL at
    another host (tests: the fake exchange); ``markets`` are saved ccxt markets so the first
    load needs no HTTP; ``exchange`` injects a ready ccxt-like object (unit tests).
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
        clock: Callable[[], datetime] | None = None,
        rate_limit: bool = True,
        default_type: str = "spot",
        read_retries: int = DEFAULT_READ_RETRIES,
        retry_backoff_s: float = DEFAULT_RETRY_BACKOFF_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        exchange: Any | None = None,
    ) -> None:
        self.name = exchange_id
        self._clock = clock or (lambda: datetime.now(UTC))
        self._markets_ttl_s = markets_ttl_s
        self._markets_loaded_at: datetime | None = None
        self._markets_lock = asyncio.Lock()
        self._default_type = default_type
        self._read_retries = read_retries
        self._retry_backoff_s = retry_backoff_s
        self._sleep = sleep
        if exchange is None:
            exchange = self._build(
                exchange_id,
                api_key=api_key,
                secret=secret,
                password=password,
                timeout_ms=timeout_ms,
                rate_limit=rate_limit,
                markets=markets,
            )
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
            if urls_override:
                exchange.urls["api"] = rewrite_urls(exchange.urls["api"], urls_override)
        self._ex: Any = exchange
        self._display = str(getattr(exchange, "name", None) or exchange_id)

    def _build(
        self,
        exchange_id: str,
        *,
        api_key: str,
        secret: str,
        password: str | None,
        timeout_ms: int,
        rate_limit: bool,
        markets: Mapping[str, Any] | None,
    ) -> Any:
        if exchange_id not in ccxt_async.exchanges:
            raise UserError(f"Unknown exchange {exchange_id!r}.")
        options: dict[str, Any] = {
            "defaultType": self._default_type,
            "maxRetriesOnFailure": 0,  # never let ccxt resend an order blind (F5)
            **EXCHANGE_OPTIONS.get(exchange_id, {}),
        }
        config: dict[str, Any] = {
            "apiKey": api_key,
            "secret": secret,
            "timeout": timeout_ms,
            "enableRateLimit": rate_limit,
            "options": options,
        }
        if password:
            config["password"] = password
        if markets:
            config["markets"] = dict(markets)
        return getattr(ccxt_async, exchange_id)(config)

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

    async def _load_markets(self) -> dict[str, Any]:
        """Markets cached for ``markets_ttl_s``; a failed refresh keeps the stale copy."""
        if self._markets_fresh():
            return dict(self._ex.markets)
        async with self._markets_lock:
            if self._markets_fresh():
                return dict(self._ex.markets)
            reload = self._markets_loaded_at is not None
            try:
                await self._read(
                    "load the market list", lambda: self._ex.load_markets(reload=reload)
                )
            except TemporaryExchangeError:
                if not reload:
                    raise
                log.warning("markets_refresh_failed", exchange=self.name)
            self._markets_loaded_at = self._clock()
            return dict(self._ex.markets)

    def _markets_fresh(self) -> bool:
        if self._markets_loaded_at is None or not self._ex.markets:
            return False
        age = (self._clock() - self._markets_loaded_at).total_seconds()
        return age < self._markets_ttl_s

    def _market_info(self, market: Mapping[str, Any]) -> MarketInfo:
        precision = market.get("precision") or {}
        limits = market.get("limits") or {}
        return MarketInfo(
            symbol=market["symbol"],
            base=market["base"],
            quote=market["quote"],
            amount_step=self._step(precision.get("amount")),
            price_step=self._step(precision.get("price")),
            min_amount=to_decimal((limits.get("amount") or {}).get("min")),
            min_cost=to_decimal((limits.get("cost") or {}).get("min")),
            active=market.get("active") is not False,
            spot=bool(market.get("spot", True)),
        )

    def _step(self, precision: object) -> Decimal | None:
        """ccxt precision -> tick size, whatever the exchange's ``precisionMode``."""
        value = to_decimal(precision)
        if value is None:
            return None
        mode = getattr(self._ex, "precisionMode", ccxt.TICK_SIZE)
        if mode == ccxt.TICK_SIZE:
            return value
        if mode == ccxt.DECIMAL_PLACES:
            return Decimal(1).scaleb(-int(value))
        return None  # SIGNIFICANT_DIGITS has no fixed step

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
            at=self._timestamp(raw.get("timestamp")),
            source=f"{self.name} ticker",
        )

    async def balances(self) -> list[Balance]:
        raw = await self._read("read the account balance", self._ex.fetch_balance)
        result = []
        for asset, entry in raw.items():
            if asset in BALANCE_META_KEYS or not isinstance(entry, dict):
                continue
            free = to_decimal(entry.get("free")) or Decimal(0)
            used = to_decimal(entry.get("used")) or Decimal(0)
            if free or used:
                result.append(Balance(asset=asset, free=free, used=used))
        return result

    async def fetch_order(self, symbol: str, exchange_order_id: str) -> OrderResult:
        """Raises ``NotFound`` when the exchange does not know the order."""
        await self._raw_market(symbol)
        raw = await self._read(
            f"look up order {exchange_order_id} on {symbol}",
            lambda: self._ex.fetch_order(exchange_order_id, symbol),
        )
        return self._order_result(raw)

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderResult | None:
        """``None`` when the exchange does not (yet) know the id (F6: may still appear)."""
        await self._raw_market(symbol)
        if self.name == "binance":

            def call() -> Awaitable[Any]:
                return self._ex.fetch_order(None, symbol, {"origClientOrderId": client_order_id})
        else:

            def call() -> Awaitable[Any]:
                return self._ex.fetch_order_with_client_order_id(client_order_id, symbol)

        try:
            raw = await self._read(f"look up order {client_order_id} on {symbol}", call)
        except NotFound:
            return None
        return self._order_result(raw, client_order_id=client_order_id)

    async def open_orders(self, symbol: str | None = None) -> list[OrderResult]:
        if symbol is not None:
            await self._raw_market(symbol)
        raw = await self._read(
            f"list open orders{f' on {symbol}' if symbol else ''}",
            lambda: self._ex.fetch_open_orders(symbol),
        )
        return [self._order_result(order) for order in raw]

    async def positions(self) -> list[Position]:
        """Spot holds no positions (holdings are balances); derivatives ask the exchange."""
        if self._default_type == "spot" or not self._ex.has.get("fetchPositions"):
            return []
        raw = await self._read("read open positions", self._ex.fetch_positions)
        result = []
        for entry in raw:
            contracts = to_decimal(entry.get("contracts")) or Decimal(0)
            if not contracts:
                continue
            sign = -1 if entry.get("side") == "short" else 1
            result.append(
                Position(
                    symbol=entry["symbol"],
                    amount=contracts * sign,
                    entry_price=to_decimal(entry.get("entryPrice")),
                    mark_price=to_decimal(entry.get("markPrice")),
                    unrealized_pnl=to_decimal(entry.get("unrealizedPnl")),
                )
            )
        return result

    async def withdrawals_enabled(self) -> bool | None:
        """binance: the key's ``enableWithdrawals``; None where the exchange exposes nothing."""
        method = getattr(self._ex, "sapi_get_account_apirestrictions", None)
        if self.name != "binance" or method is None:
            return None
        try:
            raw = await self._read("read the API key permissions", method)
        except UserError:
            return None  # NotSupported, e.g. a testnet without that endpoint
        value = raw.get("enableWithdrawals")
        return None if value is None else bool(value)

    # -- writes -------------------------------------------------------------------------------

    async def create_order(self, request: OrderRequest) -> OrderResult:
        """Send once with the client order id. Raises ``UserError`` for an order the market can
        never take (size, unknown symbol), ``OrderRejected`` when the exchange refuses it and
        ``TemporaryExchangeError`` when the outcome is unknown (reconcile by client id)."""
        market = await self._raw_market(request.symbol)
        info = self._market_info(market)
        if not info.active:
            raise UserError(f"{request.symbol} is not trading on {self._display} right now.")
        if request.type is OrderType.STOP:
            raise UserError("Stop orders are not supported on live exchanges yet.")
        amount = self._amount_to_precision(request, info)
        price: Decimal | None = None
        if request.type is OrderType.LIMIT:
            if request.price is None or request.price <= 0:
                raise UserError("A limit order needs a price above zero.")
            price = self._to_precision("price", request.symbol, request.price)
        notional_price = price or await self._reference_price(request)
        cost = amount * notional_price
        if info.min_cost is not None and cost < info.min_cost:
            raise UserError(
                f"Order value {fmt(cost)} {info.quote} is below the exchange minimum of "
                f"{fmt(info.min_cost)} {info.quote}."
            )
        at = f"at {fmt(price)} {info.quote}" if price is not None else "at market"
        action = f"{request.side.value} {fmt(amount)} {info.base} {at} on {self._display}"
        try:
            raw = await self._ex.create_order(
                request.symbol,
                request.type.value,
                request.side.value,
                float(amount),
                None if price is None else float(price),
                {"clientOrderId": request.client_order_id},
            )
        except ccxt.BaseError as exc:
            error = translate_error(exc, self._display, action)
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
        log.info(
            "order_placed",
            exchange=self.name,
            client_order_id=request.client_order_id,
            exchange_order_id=raw.get("id"),
        )
        return self._order_result(raw, request=request)

    async def cancel_order(self, symbol: str, exchange_order_id: str) -> OrderResult:
        """Raises ``NotFound`` when there is no such open order (already filled or cancelled)."""
        await self._raw_market(symbol)
        action = f"cancel order {exchange_order_id} on {symbol}"
        try:
            raw = await self._ex.cancel_order(exchange_order_id, symbol)
        except ccxt.BaseError as exc:
            raise translate_error(exc, self._display, action) from exc
        return self._order_result(raw)

    async def close(self) -> None:
        await self._ex.close()

    # -- helpers ------------------------------------------------------------------------------

    def _amount_to_precision(self, request: OrderRequest, info: MarketInfo) -> Decimal:
        minimum = info.min_amount or info.amount_step
        below = UserError(
            f"Amount {fmt(request.amount)} {info.base} is below the exchange minimum of "
            f"{fmt(minimum or Decimal(0))} {info.base}."
        )
        if request.amount <= 0:
            raise UserError(f"Amount must be above zero, got {fmt(request.amount)}.")
        try:
            amount = self._to_precision("amount", request.symbol, request.amount)
        except UserError as exc:
            raise below from exc
        if info.min_amount is not None and amount < info.min_amount:
            raise below
        return amount

    def _to_precision(self, kind: str, symbol: str, value: Decimal) -> Decimal:
        """ccxt's ``amount_to_precision`` (truncates) / ``price_to_precision`` (rounds)."""
        helper = self._ex.amount_to_precision if kind == "amount" else self._ex.price_to_precision
        try:
            text = helper(symbol, float(value))
        except ccxt.InvalidOrder as exc:  # the value rounds to zero
            raise UserError(f"The {kind} {fmt(value)} is too small for {symbol}.") from exc
        result = to_decimal(text)
        if result is None or result <= 0:
            raise UserError(f"The {kind} {fmt(value)} is too small for {symbol}.")
        return result

    async def _reference_price(self, request: OrderRequest) -> Decimal:
        """The price a market order will likely fill at, for the minimum-notional check."""
        ticker = await self.ticker(request.symbol)
        side_price = ticker.ask if request.side is OrderSide.BUY else ticker.bid
        return side_price or ticker.last

    async def _read(self, action: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run a read-only ccxt call; retry ``TemporaryExchangeError`` with short backoff."""
        attempt = 0
        while True:
            try:
                return await call()
            except ccxt.BaseError as exc:
                error = translate_error(exc, self._display, action)
                if not isinstance(error, TemporaryExchangeError) or attempt >= self._read_retries:
                    raise error from exc
                log.info(
                    "exchange_read_retried",
                    exchange=self.name,
                    error=type(exc).__name__,
                    attempt=attempt + 1,
                )
            await self._sleep(self._retry_backoff_s * 2**attempt)
            attempt += 1

    def _timestamp(self, ms: object) -> datetime:
        if isinstance(ms, int | float):
            return datetime.fromtimestamp(ms / 1000, tz=UTC)
        return self._clock()

    def _order_result(
        self,
        raw: Mapping[str, Any],
        *,
        request: OrderRequest | None = None,
        client_order_id: str | None = None,
    ) -> OrderResult:
        amount = to_decimal(raw.get("amount"))
        filled = to_decimal(raw.get("filled")) or Decimal(0)
        status = CCXT_STATUS.get(str(raw.get("status")), OrderStatus.UNKNOWN)
        if status is OrderStatus.OPEN and filled > 0:
            status = OrderStatus.PARTIALLY_FILLED
        fee, fee_asset = self._fee(raw)
        price = to_decimal(raw.get("price"))
        return OrderResult(
            exchange_order_id=None if raw.get("id") is None else str(raw["id"]),
            client_order_id=str(
                # a binance cancel answers with the cancel's own id; the order's is "orig..."
                (raw.get("info") or {}).get("origClientOrderId")
                or raw.get("clientOrderId")
                or client_order_id
                or (request.client_order_id if request else "")
            ),
            symbol=str(raw.get("symbol") or (request.symbol if request else "")),
            side=self._side(raw.get("side"), request),
            type=self._type(raw.get("type"), request),
            status=status,
            amount=amount if amount is not None else (request.amount if request else filled),
            filled=filled,
            price=price if price else None,
            average=to_decimal(raw.get("average")),
            fee=fee,
            fee_asset=fee_asset,
            raw=dict(raw.get("info") or {}),
        )

    @staticmethod
    def _side(value: object, request: OrderRequest | None) -> OrderSide:
        if value in ("buy", "sell"):
            return OrderSide(str(value))
        if request is not None:
            return request.side
        raise ExchangeError(f"The exchange reported an order with an unknown side {value!r}.")

    @staticmethod
    def _type(value: object, request: OrderRequest | None) -> OrderType:
        text = str(value or "").lower()
        if text == "market":
            return OrderType.MARKET
        if "stop" in text or "take_profit" in text:
            return OrderType.STOP
        if "limit" in text:
            return OrderType.LIMIT
        return request.type if request is not None else OrderType.LIMIT

    @staticmethod
    def _fee(raw: Mapping[str, Any]) -> tuple[Decimal, str | None]:
        """Sum ccxt's fees when they are in one currency; else report the first."""
        fees = [f for f in (raw.get("fees") or []) if f and f.get("cost") is not None]
        if not fees and raw.get("fee") and raw["fee"].get("cost") is not None:
            fees = [raw["fee"]]
        if not fees:
            return Decimal(0), None
        currencies = {f.get("currency") for f in fees}
        if len(currencies) == 1:
            total = sum((to_decimal(f["cost"]) or Decimal(0) for f in fees), Decimal(0))
            return total, fees[0].get("currency")
        return to_decimal(fees[0]["cost"]) or Decimal(0), fees[0].get("currency")
