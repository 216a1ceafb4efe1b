"""FakeBybitAPI: the few Bybit V5 endpoints real ccxt 4.5.90 ``bybit`` calls to check a key
at /connect, on 127.0.0.1.

- ``GET /v5/user/query-api``: the key's ``permissions`` (``Wallet`` holds ``Withdraw`` when the
  key may withdraw) and ``ips`` (``["*"]`` when the key works from any address), as Bybit's
  docs give them (https://bybit-exchange.github.io/docs/v5/user/apikey-info).
- ``GET /v5/account/info`` and ``GET /v5/account/wallet-balance``: what ccxt's
  ``fetch_balance`` reads (a unified account holding ``balances``).
- ``GET /v5/market/instruments-info`` (one spot market, BTC/USDT) and
  ``GET /v5/asset/coin/query-info`` (the coins): what ccxt's ``load_markets`` reads.

A request signed with another API key gets Bybit's ``10003`` ("API key is invalid."). Every
request is recorded (method, path, API key header). Nothing else is served: a 404 names the path,
so a test sees at once which call a new ccxt makes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from tests.fakes.loopback import LoopbackFake, Recorded

DEFAULT_API_KEY: Final = "fake-bybit-key-0123456789"
QUERY_API: Final = "/v5/user/query-api"
TRADING_PERMISSIONS: Final[dict[str, list[str]]] = {
    "ContractTrade": ["Order", "Position"],
    "Spot": ["SpotTrade"],
    "Wallet": ["AccountTransfer"],
    "Options": [],
    "Derivatives": [],
    "CopyTrading": [],
    "BlockTrade": [],
    "Exchange": [],
    "NFT": [],
    "Affiliate": [],
}
SPOT_BTC_USDT: Final[dict[str, Any]] = {
    "symbol": "BTCUSDT",
    "baseCoin": "BTC",
    "quoteCoin": "USDT",
    "innovation": "0",
    "status": "Trading",
    "marginTrading": "none",
    "lotSizeFilter": {
        "basePrecision": "0.000001",
        "quotePrecision": "0.00000001",
        "minOrderQty": "0.000048",
        "maxOrderQty": "71.73956243",
        "minOrderAmt": "1",
        "maxOrderAmt": "2000000",
    },
    "priceFilter": {"tickSize": "0.01"},
}


@dataclass
class FakeBybitAPI(LoopbackFake):
    """Set ``withdraw``, ``ips`` or ``read_only`` to change what the key reports."""

    balances: dict[str, str] = field(default_factory=lambda: {"USDT": "1000"})
    api_key: str = DEFAULT_API_KEY
    withdraw: bool = False
    ips: list[str] = field(default_factory=lambda: ["203.0.113.10"])
    read_only: bool = False
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    # -- the endpoints ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("X-BAPI-API-KEY")
        self.requests.append(Recorded(request.method, request.path, key))
        public = {"/v5/market/instruments-info": self._instruments}
        private = {
            QUERY_API: self._query_api,
            "/v5/account/info": self._account_info,
            "/v5/account/wallet-balance": self._wallet_balance,
            "/v5/asset/coin/query-info": self._coins,
        }
        if request.method == "GET" and request.path in public:
            return self._answer(public[request.path](request))
        if request.method != "GET" or request.path not in private:
            return web.json_response({"retCode": 404, "retMsg": request.path}, status=404)
        if key != self.api_key:
            return self._answer(None, code=10003, message="API key is invalid.")
        return self._answer(private[request.path](request))

    @staticmethod
    def _answer(result: Any, *, code: int = 0, message: str = "OK") -> web.Response:
        return web.json_response(
            {
                "retCode": code,
                "retMsg": message,
                "result": result if result is not None else {},
                "retExtInfo": {},
                "time": int(time.time() * 1000),
            }
        )

    def _query_api(self, _request: web.Request) -> dict[str, Any]:
        wallet = ["AccountTransfer", *(["Withdraw"] if self.withdraw else [])]
        return {
            "id": "13770661",
            "note": "tsbot",
            "apiKey": self.api_key,
            "readOnly": int(self.read_only),
            "secret": "",
            "permissions": {**TRADING_PERMISSIONS, "Wallet": wallet},
            "ips": list(self.ips),
            "type": 1,
            "deadlineDay": 66,
            "unified": 0,
            "uta": 1,
            "userID": 24617703,
            "isMaster": True,
        }

    @staticmethod
    def _account_info(_request: web.Request) -> dict[str, Any]:
        return {"unifiedMarginStatus": 5, "marginMode": "REGULAR_MARGIN"}

    def _wallet_balance(self, _request: web.Request) -> dict[str, Any]:
        coins = [
            {"coin": coin, "walletBalance": amount, "locked": "0", "availableToWithdraw": amount}
            for coin, amount in self.balances.items()
        ]
        return {"list": [{"accountType": "UNIFIED", "coin": coins}]}

    def _coins(self, _request: web.Request) -> dict[str, Any]:
        codes = sorted({"BTC", "USDT", *self.balances})
        return {"rows": [{"name": c, "coin": c, "remainAmount": "0", "chains": []} for c in codes]}

    @staticmethod
    def _instruments(request: web.Request) -> dict[str, Any]:
        category = request.query.get("category", "spot")
        rows = [SPOT_BTC_USDT] if category == "spot" else []
        return {"category": category, "list": rows, "nextPageCursor": ""}
