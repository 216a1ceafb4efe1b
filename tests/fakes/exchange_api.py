"""FakeExchangeAPI: a Binance SPOT and USDⓈ-M futures REST look-alike on 127.0.0.1 for real ccxt.

It speaks the endpoints ccxt 4.5.90 ``binance`` calls for markets, ticker, balance, order
create/cancel/fetch, open orders, key restrictions and server time, keeps balances and an order
book of the account's own orders, and records every request. The ``/fapi`` side (perpetual
futures: leverage, margin type, positions, reduce-only and stop-market orders) is ``futures``, a
``tests.fakes.exchange_fapi.FakeFutures`` sharing this server, its clock, its request log and its
faults. Faults are injected by the test:
``fail_next`` (5xx or a Binance error code), ``timeout_after_accept`` (the order is recorded, the
answer is held until the fake closes, so the client times out), ``hide_new_orders`` (read-after-
write lag, measured on the fake's own clock moved by ``advance``), Binance's client-order-id rule
(unique among OPEN orders only), insufficient balance, wrong API key.

Usage::

    async with FakeExchangeAPI(balances={"USDT": "10000"}) as fake:
        fake.set_price("BTC/USDT", "50000")
        client = CcxtExchangeClient("binance", api_key=fake.api_key, secret="s",
                                    urls_override=fake.url, markets=load_saved_markets())

Regenerate the saved markets with ``python -m tests.fakes.exchange_api``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import ccxt.async_support as ccxt_async
from aiohttp import web

from tests.fakes.exchange_fapi import (
    FAPI_MARKETS_PATH,
    FAPI_ORDER_CREATE_PATHS,
    SIGNED_FAPI_PATHS,
    FakeFutures,
    FapiError,
    build_saved_fapi_markets,
)
from tests.fakes.loopback import serve_all

DATA_DIR: Final = Path(__file__).parent / "data"
EXCHANGE_INFO_PATH: Final = DATA_DIR / "binance_exchange_info.json"
MARKETS_PATH: Final = DATA_DIR / "binance_markets.json"

DEFAULT_API_KEY: Final = "fake-api-key-0123456789"
START_TIME_S: Final = 1_767_225_600.0  # 2026-01-01T00:00:00Z

ORDER_CREATE_PATHS: Final = FAPI_ORDER_CREATE_PATHS | {"/api/v3/order"}
ERROR_MESSAGES: Final[dict[int, str]] = {
    -1000: "An unknown error occurred while processing the request.",
    -1003: "Too many requests queued.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; "
    "execution status unknown.",
    -1013: "Filter failure: LOT_SIZE",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1102: "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
    -1121: "Invalid symbol.",
    -2010: "Account has insufficient balance for requested action.",
    -2011: "Unknown order sent.",
    -2013: "Order does not exist.",
    -2014: "API-key format invalid.",
    -2015: "Invalid API-key, IP, or permissions for action.",
}

OPEN_STATUSES: Final = frozenset({"NEW", "PARTIALLY_FILLED"})
SIGNED_PATHS: Final = frozenset(
    {
        "/api/v3/account",
        "/api/v3/order",
        "/api/v3/openOrders",
        "/sapi/v1/account/apiRestrictions",
        "/sapi/v1/margin/allPairs",
        "/sapi/v1/margin/isolated/allPairs",
    }
)


def load_exchange_info() -> dict[str, Any]:
    """The handwritten Binance ``GET /api/v3/exchangeInfo`` body the fake serves."""
    data: dict[str, Any] = json.loads(EXCHANGE_INFO_PATH.read_text())
    return data


def load_saved_markets() -> dict[str, Any]:
    """ccxt unified markets (``binance_markets.json``) matching the fake's exchangeInfo."""
    data: dict[str, Any] = json.loads(MARKETS_PATH.read_text())
    return data


def build_saved_markets() -> dict[str, Any]:
    """Run ccxt's own ``parse_markets`` over the handwritten exchangeInfo (no network)."""
    import ccxt

    exchange = ccxt.binance()
    exchange.options["crossMarginPairsData"] = []
    exchange.options["isolatedMarginPairsData"] = []
    parsed = exchange.parse_markets(load_exchange_info()["symbols"])
    return {market["symbol"]: market for market in parsed}


class CountingBinance(ccxt_async.binance):  # type: ignore[misc]  # ccxt ships no types
    """Real ccxt binance whose market downloads (read from the saved file, no network) and
    market-table builds are counted, over all its objects; ``reset`` before counting."""

    downloads = 0
    builds = 0

    def __init__(self) -> None:
        super().__init__({"enableRateLimit": False})
        self.timeout_on_exit = 0  # no sockets to wait for in close()

    @classmethod
    def reset(cls) -> None:
        cls.downloads = cls.builds = 0

    async def load_markets(self, reload: bool = False, params: Any = None) -> Any:
        type(self).downloads += 1
        return self.set_markets(load_saved_markets())

    def set_markets(self, markets: Any, currencies: Any = None) -> Any:
        type(self).builds += 1
        return super().set_markets(markets, currencies)


def _fmt(value: Decimal) -> str:
    return f"{value:.8f}"


class BinanceError(Exception):
    """An error answer: HTTP status plus Binance ``{"code", "msg"}``."""

    def __init__(self, code: int, msg: str | None = None, status: int = 400) -> None:
        self.code = code
        self.msg = msg or ERROR_MESSAGES.get(code, "Fake error.")
        self.status = status
        super().__init__(f"{status} {code} {self.msg}")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    api_key: str | None


@dataclass(slots=True)
class Fault:
    method: str | None
    path: str
    status: int
    code: int | None
    msg: str | None
    times: int

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.path == path and self.method in (None, method)


@dataclass(slots=True)
class FakeOrder:
    order_id: int
    client_order_id: str
    symbol: str  # exchange id, e.g. "BTCUSDT"
    side: str  # "BUY" | "SELL"
    type: str  # "MARKET" | "LIMIT"
    orig_qty: Decimal
    price: Decimal  # limit price; 0 for market orders
    time_in_force: str | None
    created_ms: int
    visible_from_s: float
    status: str = "NEW"
    executed_qty: Decimal = Decimal(0)
    quote_qty: Decimal = Decimal(0)
    update_ms: int = 0
    fills: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(slots=True)
class _Balance:
    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)


class FakeExchangeAPI:
    """Binance-spot-like REST server on 127.0.0.1 with injectable faults; see module doc."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        balances: Mapping[str, str | Decimal] | None = None,
        prices: Mapping[str, str | Decimal] | None = None,
        fee_rate: str | Decimal = "0",
        withdrawals_enabled: bool = False,
        ip_restricted: bool = True,
        futures_wallet: str | Decimal = "0",
    ) -> None:
        self.api_key = api_key
        self.withdrawals_enabled = withdrawals_enabled
        self.ip_restricted = ip_restricted  # a well-made key: limited to the bot's IP
        self.fee_rate = Decimal(fee_rate)
        self.requests: list[RecordedRequest] = []
        self.orders: list[FakeOrder] = []
        self.exchange_info = load_exchange_info()
        self._symbols: dict[str, dict[str, Any]] = {
            s["symbol"]: s for s in self.exchange_info["symbols"]
        }
        self._balances: dict[str, _Balance] = {}
        for asset, amount in (balances or {}).items():
            self.set_balance(asset, amount)
        self._prices: dict[str, Decimal] = {}
        for symbol, price in (prices or {}).items():
            self._prices[self._symbol_id(symbol)] = Decimal(price)
        self._faults: list[Fault] = []
        self._hold_after_accept = 0
        self._arrived = asyncio.Condition()  # notified on every request (``wait_until``)
        self._hide_s = 0.0
        self._now_s = START_TIME_S
        self._order_ids = itertools.count(1000)
        self._trade_ids = itertools.count(500)
        self._release = asyncio.Event()
        self.futures = FakeFutures(self, wallet=futures_wallet)
        self._klines: dict[str, list[list[Any]]] = {}  # symbol id -> [open ms, o, h, l, c, v]
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeExchangeAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        self._runner, self.url = await serve_all(self._handle)

    async def close(self) -> None:
        """Release held responses, then stop the server."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- controls ----------------------------------------------------------------------------

    def set_price(self, symbol: str, price: str | Decimal) -> None:
        """Move the market price; resting limit orders that it crosses fill at their limit."""
        sid = self._symbol_id(symbol)
        self._prices[sid] = Decimal(price)
        for order in self.orders:
            if order.symbol != sid or not order.is_open or order.type != "LIMIT":
                continue
            crossed = (order.side == "BUY" and self._prices[sid] <= order.price) or (
                order.side == "SELL" and self._prices[sid] >= order.price
            )
            if crossed:
                self._fill(order, order.orig_qty - order.executed_qty, order.price)

    def price(self, symbol: str) -> Decimal:
        return self._prices[self._symbol_id(symbol)]

    def set_candles(self, symbol: str, rows: list[tuple[int, str, str, str, str, str]]) -> None:
        """The 1m klines of ``symbol``: (open time ms, open, high, low, close, volume), any
        order (served sorted, as Binance does)."""
        self._klines[self._symbol_id(symbol)] = sorted([list(r) for r in rows])

    def set_balance(self, asset: str, free: str | Decimal, locked: str | Decimal = "0") -> None:
        self._balances[asset] = _Balance(Decimal(free), Decimal(locked))

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """(free, locked) of ``asset``."""
        entry = self._balances.get(asset, _Balance())
        return entry.free, entry.locked

    def fill(self, order_id: int, qty: str | Decimal | None = None) -> None:
        """Fill an open limit order (partly when ``qty`` is less than what remains)."""
        order = self.order(order_id)
        remaining = order.orig_qty - order.executed_qty
        self._fill(order, remaining if qty is None else Decimal(qty), order.price)

    def order(self, order_id: int) -> FakeOrder:
        return next(o for o in self.orders if o.order_id == order_id)

    def orders_by_client_id(self, client_order_id: str) -> list[FakeOrder]:
        return [o for o in self.orders if o.client_order_id == client_order_id]

    def fail_next(
        self,
        endpoint: str,
        status: int | None = None,
        *,
        code: int | None = None,
        msg: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``endpoint`` ("POST /api/v3/order" or just
        "/api/v3/order") with an error before doing anything: HTTP ``status`` (503 by default),
        or a Binance ``{"code", "msg"}`` body (HTTP 400 by default) when ``code`` is given."""
        method, _, path = endpoint.rpartition(" ")
        if status is None:
            status = 400 if code is not None else 503
        self._faults.append(Fault(method.upper() or None, path, status, code, msg, times))

    def reset_faults(self) -> None:
        """Forget every armed ``fail_next`` (the exchange is back)."""
        self._faults.clear()

    def timeout_after_accept(self, times: int = 1) -> None:
        """The next ``times`` new orders (spot, futures or futures conditional) are recorded (and
        filled if market), but the answer is held until the fake closes: the client times out
        with the outcome unknown."""
        self._hold_after_accept += times

    def hide_new_orders(self, seconds: float) -> None:
        """Orders created from now on are invisible to order queries for ``seconds`` of the
        fake clock (Binance read-after-write lag). ``hide_new_orders(0)`` turns it off."""
        self._hide_s = seconds

    def advance(self, seconds: float) -> None:
        """Move the fake clock forward."""
        self._now_s += seconds

    @property
    def now_ms(self) -> int:
        return int(self._now_s * 1000)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Return once ``condition`` holds, checked after every request that arrives."""
        async with self._arrived:
            await self._arrived.wait_for(condition)

    def count(self, method: str, path: str) -> int:
        """How many ``method path`` requests arrived (faulted ones included)."""
        return sum(1 for r in self.requests if r.method == method.upper() and r.path == path)

    def last(self, method: str, path: str) -> RecordedRequest:
        return next(
            r for r in reversed(self.requests) if r.method == method.upper() and r.path == path
        )

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params: dict[str, str] = dict(request.query)
        if request.can_read_body:
            params.update({k: str(v) for k, v in (await request.post()).items()})
        method, path = request.method, request.path
        self.requests.append(
            RecordedRequest(method, path, params, request.headers.get("X-MBX-APIKEY"))
        )
        async with self._arrived:
            self._arrived.notify_all()
        for fault in self._faults:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.code is None:
                    return web.Response(status=fault.status, text=f"<html>{fault.status}</html>")
                return self._error(BinanceError(fault.code, fault.msg, fault.status))
        route = self._routes().get((method, path))
        if route is None:
            return web.json_response(
                {"code": -1000, "msg": f"Fake: no route {method} {path}"}, status=404
            )
        try:
            if path in SIGNED_PATHS or path in SIGNED_FAPI_PATHS:
                self._check_signed(request, params)
            body = route(params)
            if method == "POST" and path in ORDER_CREATE_PATHS and self._hold_after_accept > 0:
                self._hold_after_accept -= 1
                await self._release.wait()
        except BinanceError as exc:
            return self._error(exc)
        except FapiError as exc:
            return self._error(BinanceError(exc.code, exc.msg, exc.status))
        return web.json_response(body)

    def _routes(self) -> dict[tuple[str, str], Any]:
        return self.futures.routes() | {
            ("GET", "/api/v3/ping"): lambda _p: {},
            ("GET", "/api/v3/time"): lambda _p: {"serverTime": self.now_ms},
            ("GET", "/api/v3/exchangeInfo"): lambda _p: self.exchange_info,
            ("GET", "/api/v3/ticker/24hr"): self._ticker,
            ("GET", "/api/v3/klines"): self._candles,
            ("GET", "/api/v3/account"): self._account,
            ("POST", "/api/v3/order"): self._create_order,
            ("DELETE", "/api/v3/order"): self._cancel_order,
            ("GET", "/api/v3/order"): self._get_order,
            ("GET", "/api/v3/openOrders"): self._open_orders,
            ("GET", "/sapi/v1/account/apiRestrictions"): self._api_restrictions,
            ("GET", "/sapi/v1/margin/allPairs"): lambda _p: [],
            ("GET", "/sapi/v1/margin/isolated/allPairs"): lambda _p: [],
        }

    @staticmethod
    def _error(exc: BinanceError) -> web.Response:
        return web.json_response({"code": exc.code, "msg": exc.msg}, status=exc.status)

    def _check_signed(self, request: web.Request, params: Mapping[str, str]) -> None:
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            raise BinanceError(-2014, status=401)
        if key != self.api_key:
            raise BinanceError(-2015, status=401)
        if not params.get("signature"):
            raise BinanceError(-1102)
        if not params.get("timestamp"):
            raise BinanceError(
                -1102,
                "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
            )

    # -- endpoints ---------------------------------------------------------------------------

    def _ticker(self, params: Mapping[str, str]) -> dict[str, Any]:
        sid = self._known_symbol(params.get("symbol"))
        if sid not in self._prices:
            raise BinanceError(-1000, f"Fake: no price set for {sid}")
        last = self._prices[sid]
        return {
            "symbol": sid,
            "priceChange": "0.00000000",
            "priceChangePercent": "0.000",
            "weightedAvgPrice": _fmt(last),
            "prevClosePrice": _fmt(last),
            "lastPrice": _fmt(last),
            "lastQty": "0.01000000",
            "bidPrice": _fmt(last),
            "bidQty": "1.00000000",
            "askPrice": _fmt(last),
            "askQty": "1.00000000",
            "openPrice": _fmt(last),
            "highPrice": _fmt(last),
            "lowPrice": _fmt(last),
            "volume": "100.00000000",
            "quoteVolume": _fmt(last * 100),
            "openTime": self.now_ms - 86_400_000,
            "closeTime": self.now_ms,
            "firstId": 1,
            "lastId": 100,
            "count": 100,
        }

    def _candles(self, params: Mapping[str, str]) -> list[list[Any]]:
        """GET /api/v3/klines: 1m only here; ``startTime`` inclusive, ``limit`` at most 1000."""
        sid = self._known_symbol(params.get("symbol"))
        if params.get("interval") != "1m":
            raise BinanceError(-1120, "Invalid interval.")
        start = int(params.get("startTime") or 0)
        limit = min(int(params.get("limit") or 500), 1000)
        rows = [r for r in self._klines.get(sid, []) if r[0] >= start][:limit]
        return [[*r, r[0] + 59_999, "0", 1, "0", "0", "0"] for r in rows]

    def _account(self, _params: Mapping[str, str]) -> dict[str, Any]:
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "canTrade": True,
            "canWithdraw": self.withdrawals_enabled,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self.now_ms,
            "accountType": "SPOT",
            "balances": [
                {"asset": asset, "free": _fmt(b.free), "locked": _fmt(b.locked)}
                for asset, b in self._balances.items()
            ],
            "permissions": ["SPOT"],
            "uid": 354937868,
        }

    def _api_restrictions(self, _params: Mapping[str, str]) -> dict[str, Any]:
        return {
            "ipRestrict": self.ip_restricted,
            "createTime": self.now_ms - 86_400_000,
            "enableReading": True,
            "enableSpotAndMarginTrading": True,
            "enableWithdrawals": self.withdrawals_enabled,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enablePortfolioMarginTrading": False,
        }

    def _create_order(self, params: Mapping[str, str]) -> dict[str, Any]:
        sid = self._known_symbol(params.get("symbol"))
        side, type_ = params.get("side", ""), params.get("type", "")
        if side not in {"BUY", "SELL"}:
            raise BinanceError(-1102, "Mandatory parameter 'side' was not sent.")
        if type_ not in {"MARKET", "LIMIT"}:
            raise BinanceError(-1116, "Invalid orderType.")
        if "quantity" not in params:
            raise BinanceError(-1102, "Mandatory parameter 'quantity' was not sent.")
        qty = Decimal(params["quantity"])
        filters = {f["filterType"]: f for f in self._symbols[sid]["filters"]}
        lot = filters["LOT_SIZE"]
        if qty < Decimal(lot["minQty"]) or qty % Decimal(lot["stepSize"]) != 0:
            raise BinanceError(-1013, "Filter failure: LOT_SIZE")
        if type_ == "LIMIT":
            if "price" not in params or "timeInForce" not in params:
                raise BinanceError(-1102, "Mandatory parameter 'price' was not sent.")
            price = Decimal(params["price"])
            if price <= 0 or price % Decimal(filters["PRICE_FILTER"]["tickSize"]) != 0:
                raise BinanceError(-1013, "Filter failure: PRICE_FILTER")
            notional_price = price
        else:
            price = Decimal(0)
            if sid not in self._prices:
                raise BinanceError(-1000, f"Fake: no price set for {sid}")
            notional_price = self._prices[sid]
        if qty * notional_price < Decimal(filters["NOTIONAL"]["minNotional"]):
            raise BinanceError(-1013, "Filter failure: NOTIONAL")
        client_order_id = params.get("newClientOrderId") or f"fake{next(self._order_ids)}"
        if any(o.client_order_id == client_order_id and o.is_open for o in self.orders):
            raise BinanceError(-2010, "Duplicate order sent.")
        base, quote = self._assets(sid)
        # Lock what the order needs: quote for buys (limit or current price), base for sells.
        lock_asset, lock_amount = (quote, qty * notional_price) if side == "BUY" else (base, qty)
        balance = self._balances.setdefault(lock_asset, _Balance())
        if balance.free < lock_amount:
            raise BinanceError(-2010)
        balance.free -= lock_amount
        balance.locked += lock_amount
        now = self.now_ms
        order = FakeOrder(
            order_id=next(self._order_ids),
            client_order_id=client_order_id,
            symbol=sid,
            side=side,
            type=type_,
            orig_qty=qty,
            price=price,
            time_in_force=params.get("timeInForce"),
            created_ms=now,
            visible_from_s=self._now_s + self._hide_s,
            update_ms=now,
        )
        self.orders.append(order)
        if type_ == "MARKET":
            self._fill(order, qty, self._prices[sid])
        elif sid in self._prices and (
            (side == "BUY" and self._prices[sid] <= price)
            or (side == "SELL" and self._prices[sid] >= price)
        ):
            self._fill(order, qty, price)
        body = self._order_json(order)
        body["transactTime"] = now
        body["fills"] = list(order.fills)
        return body

    def _cancel_order(self, params: Mapping[str, str]) -> dict[str, Any]:
        order = self._find_order(params, missing_code=-2011)
        if not order.is_open:
            raise BinanceError(-2011)
        base, quote = self._assets(order.symbol)
        remaining = order.orig_qty - order.executed_qty
        asset, amount = (
            (quote, remaining * order.price) if order.side == "BUY" else (base, remaining)
        )
        self._balances[asset].locked -= amount
        self._balances[asset].free += amount
        order.status = "CANCELED"
        order.update_ms = self.now_ms
        body = self._order_json(order)
        body["origClientOrderId"] = order.client_order_id
        body["clientOrderId"] = params.get("newClientOrderId", f"cancel{order.order_id}")
        body["transactTime"] = self.now_ms
        return body

    def _get_order(self, params: Mapping[str, str]) -> dict[str, Any]:
        return self._order_json(self._find_order(params, missing_code=-2013))

    def _open_orders(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        sid = self._known_symbol(params["symbol"]) if "symbol" in params else None
        return [
            self._order_json(o)
            for o in self.orders
            if o.is_open and (sid is None or o.symbol == sid) and self._visible(o)
        ]

    # -- helpers -----------------------------------------------------------------------------

    def _find_order(self, params: Mapping[str, str], *, missing_code: int) -> FakeOrder:
        sid = self._known_symbol(params.get("symbol"))
        if "orderId" in params:
            candidates = [o for o in self.orders if str(o.order_id) == params["orderId"]]
        elif "origClientOrderId" in params:
            # Binance answers with the most recent order carrying that client id.
            candidates = self.orders_by_client_id(params["origClientOrderId"])[-1:]
        else:
            raise BinanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent.")
        found = [o for o in candidates if o.symbol == sid and self._visible(o)]
        if not found:
            raise BinanceError(missing_code)
        return found[-1]

    def _visible(self, order: FakeOrder) -> bool:
        return self._now_s >= order.visible_from_s

    def _fill(self, order: FakeOrder, qty: Decimal, price: Decimal) -> None:
        base, quote = self._assets(order.symbol)
        cost = qty * price
        fee_asset = base if order.side == "BUY" else quote
        fee = (qty if order.side == "BUY" else cost) * self.fee_rate
        if order.side == "BUY":
            locked_per_unit = order.price if order.type == "LIMIT" else price
            quote_balance = self._balances[quote]
            quote_balance.locked -= qty * locked_per_unit
            quote_balance.free += qty * locked_per_unit - cost
            self._balances.setdefault(base, _Balance()).free += qty - fee
        else:
            self._balances[base].locked -= qty
            self._balances.setdefault(quote, _Balance()).free += cost - fee
        order.executed_qty += qty
        order.quote_qty += cost
        order.status = "FILLED" if order.executed_qty >= order.orig_qty else "PARTIALLY_FILLED"
        order.update_ms = self.now_ms
        order.fills.append(
            {
                "price": _fmt(price),
                "qty": _fmt(qty),
                "commission": _fmt(fee),
                "commissionAsset": fee_asset,
                "tradeId": next(self._trade_ids),
            }
        )

    def _order_json(self, order: FakeOrder) -> dict[str, Any]:
        return {
            "symbol": order.symbol,
            "orderId": order.order_id,
            "orderListId": -1,
            "clientOrderId": order.client_order_id,
            "price": _fmt(order.price),
            "origQty": _fmt(order.orig_qty),
            "executedQty": _fmt(order.executed_qty),
            "cummulativeQuoteQty": _fmt(order.quote_qty),
            "status": order.status,
            "timeInForce": order.time_in_force or "GTC",
            "type": order.type,
            "side": order.side,
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": order.created_ms,
            "updateTime": order.update_ms,
            "isWorking": True,
            "workingTime": order.created_ms,
            "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }

    def _symbol_id(self, symbol: str) -> str:
        return symbol.replace("/", "")

    def _known_symbol(self, sid: str | None) -> str:
        if sid is None:
            raise BinanceError(-1102, "Mandatory parameter 'symbol' was not sent.")
        if sid not in self._symbols:
            raise BinanceError(-1121)
        return sid

    def _assets(self, sid: str) -> tuple[str, str]:
        info = self._symbols[sid]
        return info["baseAsset"], info["quoteAsset"]


if __name__ == "__main__":
    MARKETS_PATH.write_text(json.dumps(build_saved_markets(), indent=2, sort_keys=True) + "\n")
    FAPI_MARKETS_PATH.write_text(
        json.dumps(build_saved_fapi_markets(), indent=2, sort_keys=True) + "\n"
    )
    print(f"wrote {MARKETS_PATH} and {FAPI_MARKETS_PATH}")  # noqa: T201
