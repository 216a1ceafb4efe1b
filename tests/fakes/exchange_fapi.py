"""FakeFutures: the Binance USDⓈ-M (``/fapi``) side of ``FakeExchangeAPI``.

One-way position mode, one USDT wallet. It serves the endpoints ccxt 4.5.90 ``binance`` calls
with ``defaultType`` swap: exchangeInfo, time, 24h ticker, orders (``/fapi/v1/order``,
``openOrders``), conditional orders (``/fapi/v1/algoOrder``, ``openAlgoOrders``: ccxt sends stop
and take-profit market orders there), leverage, marginType, ``/fapi/v2/positionRisk``,
leverageBracket and ``/fapi/v3/account``. Every request is recorded by the host fake; orders
keep their type, reduce-only flag and trigger price, and each symbol its leverage and margin type
(``leverage(symbol)``, ``margin_type(symbol)``), so tests can assert what ccxt sent.

Binance's rules it enforces: LOT_SIZE, PRICE_FILTER and MIN_NOTIONAL (reduce-only orders are
exempt from the notional), margin checks (-2019), a reduce-only order that would not reduce the
position (-2022), a stop that would trigger at once (-2021), duplicate open client ids (-4116),
margin type unchanged (-4046) or changed with open orders (-4047) or a position (-4048), and
lower leverage on an isolated position (-4161). The liquidation price is Binance's isolated
one-way formula with the symbol's first maintenance tier.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Protocol

FAPI_EXCHANGE_INFO_PATH: Final = Path(__file__).parent / "data" / "binance_fapi_exchange_info.json"
FAPI_MARKETS_PATH: Final = Path(__file__).parent / "data" / "binance_fapi_markets.json"

DEFAULT_LEVERAGE: Final = 20
OPEN: Final = frozenset({"NEW", "PARTIALLY_FILLED"})
ALGO_TYPES: Final = frozenset({"STOP_MARKET", "TAKE_PROFIT_MARKET"})
# Binance's first maintenance tier per symbol: (notional cap, maintenance margin rate).
FIRST_TIER: Final[dict[str, tuple[int, Decimal]]] = {
    "BTCUSDT": (50_000, Decimal("0.004")),
    "ETHUSDT": (50_000, Decimal("0.004")),
    "SOLUSDT": (10_000, Decimal("0.005")),
}
SIGNED_FAPI_PATHS: Final = frozenset(
    {
        "/fapi/v1/order",
        "/fapi/v1/openOrders",
        "/fapi/v1/algoOrder",
        "/fapi/v1/openAlgoOrders",
        "/fapi/v1/leverage",
        "/fapi/v1/marginType",
        "/fapi/v1/leverageBracket",
        "/fapi/v2/positionRisk",
        "/fapi/v3/account",
    }
)
FAPI_ORDER_CREATE_PATHS: Final = frozenset({"/fapi/v1/order", "/fapi/v1/algoOrder"})


class Host(Protocol):
    """What FakeFutures needs from FakeExchangeAPI."""

    fee_rate: Decimal

    @property
    def now_ms(self) -> int: ...


class FapiError(Exception):
    """A Binance futures error answer (HTTP 400 unless told)."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        self.code, self.msg, self.status = code, msg, status
        super().__init__(f"{status} {code} {msg}")


def load_fapi_exchange_info() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FAPI_EXCHANGE_INFO_PATH.read_text())
    return data


def load_saved_fapi_markets() -> dict[str, Any]:
    """ccxt unified swap markets (``binance_fapi_markets.json``) matching the fapi exchangeInfo."""
    data: dict[str, Any] = json.loads(FAPI_MARKETS_PATH.read_text())
    return data


def build_saved_fapi_markets() -> dict[str, Any]:
    """ccxt's own ``parse_markets`` over the handwritten fapi exchangeInfo (no network)."""
    import ccxt

    parsed = ccxt.binance({"options": {"defaultType": "swap"}}).parse_markets(
        load_fapi_exchange_info()["symbols"]
    )
    return {market["symbol"]: market for market in parsed}


def _s(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _sid(symbol: str) -> str:
    """ "BTC/USDT:USDT" or "BTCUSDT" -> "BTCUSDT"."""
    return symbol.split(":", maxsplit=1)[0].replace("/", "")


@dataclass(slots=True)
class FutOrder:
    order_id: int
    client_order_id: str
    symbol: str
    side: str  # BUY | SELL
    type: str  # LIMIT | MARKET | STOP_MARKET | TAKE_PROFIT_MARKET (the last two: algo orders)
    qty: Decimal
    price: Decimal  # limit price, 0 otherwise
    trigger_price: Decimal  # algo orders only
    reduce_only: bool
    time_in_force: str | None
    created_ms: int
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    update_ms: int = 0
    actual_order_id: int | None = None  # algo: the market order it became when triggered

    @property
    def is_algo(self) -> bool:
        return self.type in ALGO_TYPES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(slots=True)
class FutPosition:
    leverage: int = DEFAULT_LEVERAGE
    margin_type: str = "CROSSED"
    amount: Decimal = Decimal(0)  # signed: negative = short
    entry: Decimal = Decimal(0)
    isolated_wallet: Decimal = Decimal(0)


class FakeFutures:
    """USDⓈ-M account state and handlers; ``FakeExchangeAPI.futures``."""

    def __init__(self, host: Host, *, wallet: str | Decimal = "0") -> None:
        self._host = host
        self.exchange_info = load_fapi_exchange_info()
        self._symbols = {s["symbol"]: s for s in self.exchange_info["symbols"]}
        self.wallet = Decimal(wallet)
        self.orders: list[FutOrder] = []
        self._positions: dict[str, FutPosition] = {}
        self._prices: dict[str, Decimal] = {}
        self._ids = itertools.count(7_000)

    # -- controls ----------------------------------------------------------------------------

    def set_price(self, symbol: str, price: str | Decimal) -> None:
        """Move the mark price; resting limits it crosses fill, stops it crosses trigger."""
        sid = _sid(symbol)
        self._prices[sid] = mark = Decimal(price)
        for order in [o for o in self.orders if o.symbol == sid and o.is_open]:
            if order.is_algo and self._triggers(order, mark):
                self._trigger(order, mark)
            elif order.type == "LIMIT" and (
                (order.side == "BUY" and mark <= order.price)
                or (order.side == "SELL" and mark >= order.price)
            ):
                self._fill(order, order.price)

    def open_position(
        self, symbol: str, amount: str | Decimal, entry: str | Decimal, leverage: int
    ) -> None:
        """Start with an isolated position (signed ``amount``) without an order."""
        position = self.position(symbol)
        position.margin_type, position.leverage = "ISOLATED", leverage
        position.amount, position.entry = Decimal(amount), Decimal(entry)
        position.isolated_wallet = abs(position.amount) * position.entry / leverage
        self.wallet -= position.isolated_wallet

    def position(self, symbol: str) -> FutPosition:
        return self._positions.setdefault(_sid(symbol), FutPosition())

    def leverage(self, symbol: str) -> int:
        return self.position(symbol).leverage

    def margin_type(self, symbol: str) -> str:
        return self.position(symbol).margin_type

    def orders_by_client_id(self, client_order_id: str) -> list[FutOrder]:
        return [o for o in self.orders if o.client_order_id == client_order_id]

    # -- routes ------------------------------------------------------------------------------

    def routes(self) -> dict[tuple[str, str], Callable[[Mapping[str, str]], Any]]:
        return {
            ("GET", "/fapi/v1/ping"): lambda _p: {},
            ("GET", "/fapi/v1/time"): lambda _p: {"serverTime": self._host.now_ms},
            ("GET", "/fapi/v1/exchangeInfo"): lambda _p: self.exchange_info,
            ("GET", "/fapi/v1/ticker/24hr"): self._ticker,
            ("POST", "/fapi/v1/order"): self._create_order,
            ("GET", "/fapi/v1/order"): lambda p: self._order_json(self._find(p, algo=False)),
            ("DELETE", "/fapi/v1/order"): self._cancel_order,
            ("GET", "/fapi/v1/openOrders"): lambda p: self._open(p, algo=False),
            ("POST", "/fapi/v1/algoOrder"): self._create_algo_order,
            ("GET", "/fapi/v1/algoOrder"): lambda p: self._algo_json(self._find(p, algo=True)),
            ("DELETE", "/fapi/v1/algoOrder"): self._cancel_algo_order,
            ("GET", "/fapi/v1/openAlgoOrders"): lambda p: self._open(p, algo=True),
            ("POST", "/fapi/v1/leverage"): self._set_leverage,
            ("POST", "/fapi/v1/marginType"): self._set_margin_type,
            ("GET", "/fapi/v1/leverageBracket"): self._brackets,
            ("GET", "/fapi/v2/positionRisk"): self._position_risk,
            ("GET", "/fapi/v3/account"): self._account,
        }

    # -- market data -------------------------------------------------------------------------

    def _ticker(self, params: Mapping[str, str]) -> dict[str, Any]:
        sid = self._known(params.get("symbol"))
        last = self._mark(sid)
        return {
            "symbol": sid,
            "priceChange": "0",
            "priceChangePercent": "0",
            "weightedAvgPrice": _s(last),
            "lastPrice": _s(last),
            "lastQty": "0.001",
            "openPrice": _s(last),
            "highPrice": _s(last),
            "lowPrice": _s(last),
            "volume": "100",
            "quoteVolume": _s(last * 100),
            "openTime": self._host.now_ms - 86_400_000,
            "closeTime": self._host.now_ms,
            "firstId": 1,
            "lastId": 100,
            "count": 100,
        }

    def _brackets(self, _params: Mapping[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "symbol": sid,
                "brackets": [
                    {
                        "bracket": 1,
                        "initialLeverage": 125,
                        "notionalCap": cap,
                        "notionalFloor": 0,
                        "maintMarginRatio": float(rate),
                        "cum": 0.0,
                    }
                ],
            }
            for sid, (cap, rate) in FIRST_TIER.items()
        ]

    # -- orders ------------------------------------------------------------------------------

    def _create_order(self, params: Mapping[str, str]) -> dict[str, Any]:
        type_ = params.get("type", "")
        if type_ not in {"LIMIT", "MARKET"}:
            raise FapiError(-1116, "Invalid orderType.")
        order = self._new_order(params, type_, params.get("newClientOrderId"))
        if type_ == "LIMIT":
            if "timeInForce" not in params:
                raise FapiError(-1102, "Mandatory parameter 'timeInForce' was not sent.")
            order.price = self._checked_price(order.symbol, params.get("price"))
        self._check_order(order, order.price or self._mark(order.symbol))
        self.orders.append(order)
        mark = self._prices.get(order.symbol)
        if type_ == "MARKET":
            self._fill(order, self._mark(order.symbol))
        elif mark is not None and (
            (order.side == "BUY" and mark <= order.price)
            or (order.side == "SELL" and mark >= order.price)
        ):
            self._fill(order, order.price)
        return self._order_json(order)

    def _create_algo_order(self, params: Mapping[str, str]) -> dict[str, Any]:
        if params.get("algoType") != "CONDITIONAL":
            raise FapiError(-1102, "Mandatory parameter 'algoType' was not sent.")
        type_ = params.get("type", "")
        if type_ not in ALGO_TYPES:
            raise FapiError(-1116, "Invalid orderType.")
        order = self._new_order(params, type_, params.get("clientAlgoId"))
        order.trigger_price = self._checked_price(order.symbol, params.get("triggerPrice"))
        if self._triggers(order, self._mark(order.symbol)):
            raise FapiError(-2021, "Order would immediately trigger.")
        self._check_order(order, order.trigger_price)
        self.orders.append(order)
        return self._algo_json(order)

    def _new_order(self, params: Mapping[str, str], type_: str, cid: str | None) -> FutOrder:
        sid = self._known(params.get("symbol"))
        side = params.get("side", "")
        if side not in {"BUY", "SELL"}:
            raise FapiError(-1102, "Mandatory parameter 'side' was not sent.")
        if "quantity" not in params:
            raise FapiError(-1102, "Mandatory parameter 'quantity' was not sent.")
        if params.get("reduceOnly", "false") not in {"true", "false"}:
            raise FapiError(-1130, "Invalid data sent for a parameter: reduceOnly.")
        lot = self._filter(sid, "LOT_SIZE")
        qty = Decimal(params["quantity"])
        if qty < Decimal(lot["minQty"]) or qty % Decimal(lot["stepSize"]) != 0:
            raise FapiError(-1013, "Filter failure: LOT_SIZE")
        order_id = next(self._ids)
        cid = cid or f"fakefut{order_id}"
        if any(o.client_order_id == cid and o.is_open for o in self.orders):
            raise FapiError(-4116, "ClientOrderId is duplicated.")
        return FutOrder(
            order_id=order_id,
            client_order_id=cid,
            symbol=sid,
            side=side,
            type=type_,
            qty=qty,
            price=Decimal(0),
            trigger_price=Decimal(0),
            reduce_only=params.get("reduceOnly") == "true",
            time_in_force=params.get("timeInForce"),
            created_ms=self._host.now_ms,
            update_ms=self._host.now_ms,
        )

    def _check_order(self, order: FutOrder, price: Decimal) -> None:
        position = self.position(order.symbol)
        if order.reduce_only:
            reduces = (order.side == "SELL" and position.amount > 0) or (
                order.side == "BUY" and position.amount < 0
            )
            if not reduces:
                raise FapiError(-2022, "ReduceOnly Order is rejected.")
            return  # no notional minimum and no new margin for reduce-only orders
        minimum = Decimal(self._filter(order.symbol, "MIN_NOTIONAL")["notional"])
        if order.qty * price < minimum:
            raise FapiError(
                -4164,
                f"Order's notional must be no smaller than {minimum} (unless you choose reduce "
                "only).",
            )
        if order.qty * price / position.leverage > self._available():
            raise FapiError(-2019, "Margin is insufficient.")

    def _cancel_order(self, params: Mapping[str, str]) -> dict[str, Any]:
        order = self._find(params, algo=False, missing=(-2011, "Unknown order sent."))
        if not order.is_open:
            raise FapiError(-2011, "Unknown order sent.")
        order.status, order.update_ms = "CANCELED", self._host.now_ms
        return self._order_json(order)

    def _cancel_algo_order(self, params: Mapping[str, str]) -> dict[str, Any]:
        order = self._find(params, algo=True, missing=(-2011, "Unknown order sent."))
        if not order.is_open:
            raise FapiError(-2011, "Unknown order sent.")
        order.status, order.update_ms = "CANCELED", self._host.now_ms
        return {
            "algoId": order.order_id,
            "clientAlgoId": order.client_order_id,
            "code": "200",
            "msg": "success",
        }

    def _open(self, params: Mapping[str, str], *, algo: bool) -> list[dict[str, Any]]:
        sid = self._known(params["symbol"]) if "symbol" in params else None
        render = self._algo_json if algo else self._order_json
        return [
            render(o)
            for o in self.orders
            if o.is_open and o.is_algo is algo and sid in (None, o.symbol)
        ]

    def _find(
        self,
        params: Mapping[str, str],
        *,
        algo: bool,
        missing: tuple[int, str] = (-2013, "Order does not exist."),
    ) -> FutOrder:
        sid = self._known(params.get("symbol"))
        id_key, cid_key = ("algoId", "clientAlgoId") if algo else ("orderId", "origClientOrderId")
        if id_key in params:
            found = [o for o in self.orders if str(o.order_id) == params[id_key]]
        elif cid_key in params:
            found = self.orders_by_client_id(params[cid_key])
        else:
            raise FapiError(-1102, f"Param '{cid_key}' or '{id_key}' must be sent.")
        found = [o for o in found if o.symbol == sid and o.is_algo is algo]
        if not found:
            raise FapiError(*missing)
        return found[-1]

    # -- account -----------------------------------------------------------------------------

    def _set_leverage(self, params: Mapping[str, str]) -> dict[str, Any]:
        sid = self._known(params.get("symbol"))
        leverage = int(params.get("leverage") or 0)
        if not 1 <= leverage <= 125:
            raise FapiError(-4028, f"Leverage {leverage} is not valid")
        position = self.position(sid)
        if position.amount and position.margin_type == "ISOLATED":
            if leverage < position.leverage:
                raise FapiError(
                    -4161,
                    "Leverage reduction is not supported in Isolated Margin Mode with open "
                    "positions.",
                )
            position.isolated_wallet = max(
                position.isolated_wallet, abs(position.amount) * position.entry / leverage
            )
        position.leverage = leverage
        return {"leverage": leverage, "maxNotionalValue": "1000000", "symbol": sid}

    def _set_margin_type(self, params: Mapping[str, str]) -> dict[str, Any]:
        sid = self._known(params.get("symbol"))
        wanted = params.get("marginType", "")
        if wanted not in {"ISOLATED", "CROSSED"}:
            raise FapiError(-1102, "Mandatory parameter 'marginType' was not sent.")
        position = self.position(sid)
        if wanted == position.margin_type:
            raise FapiError(-4046, "No need to change margin type.")
        if any(o.symbol == sid and o.is_open for o in self.orders):
            raise FapiError(-4047, "Margin type cannot be changed if there exists open orders.")
        if position.amount:
            raise FapiError(-4048, "Margin type cannot be changed if there exists position.")
        position.margin_type = wanted
        return {"code": 200, "msg": "success"}

    def _position_risk(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        wanted = self._known(params["symbol"]) if "symbol" in params else None
        return [
            self._risk_json(sid)
            for sid in self._symbols
            if (wanted is None or sid == wanted) and sid in self._prices
        ]

    def _risk_json(self, sid: str) -> dict[str, Any]:
        position, mark = self.position(sid), self._prices[sid]
        pnl = (mark - position.entry) * position.amount if position.amount else Decimal(0)
        isolated = position.margin_type == "ISOLATED"
        return {
            "symbol": sid,
            "positionAmt": _s(position.amount),
            "entryPrice": _s(position.entry),
            "breakEvenPrice": _s(position.entry),
            "markPrice": _s(mark),
            "unRealizedProfit": _s(pnl),
            "liquidationPrice": _s(self._liquidation_price(sid)),
            "leverage": str(position.leverage),
            "maxNotionalValue": "1000000",
            "marginType": "isolated" if isolated else "cross",
            "isolatedMargin": _s(position.isolated_wallet + pnl) if isolated else "0",
            "isAutoAddMargin": "false",
            "positionSide": "BOTH",
            "notional": _s(position.amount * mark),
            "isolatedWallet": _s(position.isolated_wallet) if isolated else "0",
            "updateTime": self._host.now_ms if position.amount else 0,
        }

    def _liquidation_price(self, sid: str) -> Decimal:
        """Binance isolated one-way: (WB - side*Q*EP) / (Q*MMR - side*Q), first tier."""
        position = self.position(sid)
        if not position.amount or position.margin_type != "ISOLATED":
            return Decimal(0)
        side = 1 if position.amount > 0 else -1
        qty, rate = abs(position.amount), FIRST_TIER.get(sid, (0, Decimal("0.01")))[1]
        wallet = position.isolated_wallet
        price = (wallet - side * qty * position.entry) / (qty * rate - side * qty)
        return max(price, Decimal(0)).quantize(Decimal("0.01"))

    def _account(self, _params: Mapping[str, str]) -> dict[str, Any]:
        margin = sum((p.isolated_wallet for p in self._positions.values()), Decimal(0))
        now = self._host.now_ms
        return {
            "totalWalletBalance": _s(self.wallet + margin),
            "availableBalance": _s(self._available()),
            "assets": [
                {
                    "asset": "USDT",
                    "walletBalance": _s(self.wallet + margin),
                    "unrealizedProfit": "0",
                    "marginBalance": _s(self.wallet + margin),
                    "maintMargin": "0",
                    "initialMargin": _s(margin),
                    "positionInitialMargin": _s(margin),
                    "openOrderInitialMargin": "0",
                    "crossWalletBalance": _s(self.wallet),
                    "crossUnPnl": "0",
                    "availableBalance": _s(self._available()),
                    "maxWithdrawAmount": _s(self._available()),
                    "updateTime": now,
                }
            ],
            "positions": [],
        }

    # -- fills -------------------------------------------------------------------------------

    def _triggers(self, order: FutOrder, mark: Decimal) -> bool:
        rising = (order.type == "STOP_MARKET") == (order.side == "BUY")
        return mark >= order.trigger_price if rising else mark <= order.trigger_price

    def _trigger(self, algo: FutOrder, mark: Decimal) -> None:
        """A conditional order fires: it becomes a market order, filled at ``mark``."""
        market = FutOrder(
            order_id=next(self._ids),
            client_order_id=f"autoclose-{algo.order_id}",
            symbol=algo.symbol,
            side=algo.side,
            type="MARKET",
            qty=algo.qty,
            price=Decimal(0),
            trigger_price=Decimal(0),
            reduce_only=algo.reduce_only,
            time_in_force=None,
            created_ms=self._host.now_ms,
        )
        self.orders.append(market)
        self._fill(market, mark)
        algo.status, algo.actual_order_id = "FINISHED", market.order_id
        algo.update_ms = self._host.now_ms

    def _fill(self, order: FutOrder, price: Decimal) -> None:
        position = self.position(order.symbol)
        qty = order.qty - order.executed
        signed = qty if order.side == "BUY" else -qty
        if order.reduce_only:
            if position.amount == 0 or (position.amount > 0) == (signed > 0):
                order.status, order.update_ms = "EXPIRED", self._host.now_ms
                return
            qty = min(qty, abs(position.amount))
            signed = qty if signed > 0 else -qty
        self.wallet -= qty * price * self._host.fee_rate
        if position.amount and (position.amount > 0) != (signed > 0):
            closing = min(qty, abs(position.amount))
            share = closing / abs(position.amount)
            pnl = (price - position.entry) * closing * (1 if position.amount > 0 else -1)
            released = position.isolated_wallet * share
            position.isolated_wallet -= released
            self.wallet += released + pnl
            position.amount += closing if signed > 0 else -closing
            if not position.amount:
                position.entry, position.isolated_wallet = Decimal(0), Decimal(0)
            signed = signed - closing if signed > 0 else signed + closing
        if signed:
            margin = abs(signed) * price / position.leverage
            self.wallet -= margin
            position.isolated_wallet += margin
            total = abs(position.amount) + abs(signed)
            position.entry = (abs(position.amount) * position.entry + abs(signed) * price) / total
            position.amount += signed
        order.avg_price = price
        order.executed = order.qty
        order.status, order.update_ms = "FILLED", self._host.now_ms

    # -- JSON --------------------------------------------------------------------------------

    def _order_json(self, order: FutOrder) -> dict[str, Any]:
        return {
            "orderId": order.order_id,
            "symbol": order.symbol,
            "status": order.status,
            "clientOrderId": order.client_order_id,
            "price": _s(order.price),
            "avgPrice": _s(order.avg_price),
            "origQty": _s(order.qty),
            "executedQty": _s(order.executed),
            "cumQty": _s(order.executed),
            "cumQuote": _s(order.executed * order.avg_price),
            "timeInForce": order.time_in_force or "GTC",
            "type": order.type,
            "reduceOnly": order.reduce_only,
            "closePosition": False,
            "side": order.side,
            "positionSide": "BOTH",
            "stopPrice": "0",
            "workingType": "CONTRACT_PRICE",
            "priceProtect": False,
            "origType": order.type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": 0,
            "time": order.created_ms,
            "updateTime": order.update_ms,
        }

    def _algo_json(self, order: FutOrder) -> dict[str, Any]:
        return {
            "algoId": order.order_id,
            "clientAlgoId": order.client_order_id,
            "algoType": "CONDITIONAL",
            "orderType": order.type,
            "symbol": order.symbol,
            "side": order.side,
            "positionSide": "BOTH",
            "timeInForce": "GTC",
            "quantity": _s(order.qty),
            "algoStatus": order.status,
            "actualOrderId": "" if order.actual_order_id is None else str(order.actual_order_id),
            "triggerPrice": _s(order.trigger_price),
            "price": "0",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": "CONTRACT_PRICE",
            "priceMatch": "NONE",
            "closePosition": False,
            "priceProtect": False,
            "reduceOnly": order.reduce_only,
            "createTime": order.created_ms,
            "updateTime": order.update_ms,
            "triggerTime": order.update_ms if order.actual_order_id is not None else 0,
            "goodTillDate": 0,
        }

    # -- helpers -----------------------------------------------------------------------------

    def _available(self) -> Decimal:
        return self.wallet

    def _mark(self, sid: str) -> Decimal:
        if sid not in self._prices:
            raise FapiError(-1000, f"Fake: no price set for {sid}")
        return self._prices[sid]

    def _filter(self, sid: str, name: str) -> dict[str, Any]:
        return next(f for f in self._symbols[sid]["filters"] if f["filterType"] == name)

    def _checked_price(self, sid: str, text: str | None) -> Decimal:
        if text is None:
            raise FapiError(-1102, "Mandatory parameter 'price' was not sent.")
        price = Decimal(text)
        if price <= 0 or price % Decimal(self._filter(sid, "PRICE_FILTER")["tickSize"]) != 0:
            raise FapiError(-1013, "Filter failure: PRICE_FILTER")
        return price

    def _known(self, sid: str | None) -> str:
        if sid is None:
            raise FapiError(-1102, "Mandatory parameter 'symbol' was not sent.")
        if sid not in self._symbols:
            raise FapiError(-1121, "Invalid symbol.")
        return sid
