"""FakeOkxAPI: the few OKX V5 endpoints real ccxt 4.5.90 ``okx`` calls to check a key at
/connect, on 127.0.0.1.

- ``GET /api/v5/account/config``: the key's ``perm`` (``read_only,trade`` plus ``withdraw`` when
  the key may withdraw) and ``ip`` (the bound addresses, comma-separated; ``""`` when none), as
  OKX's docs give them (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
- ``GET /api/v5/account/balance``: what ccxt's ``fetch_balance`` reads.
- ``GET /api/v5/public/instruments`` (one spot market, BTC-USDT) and
  ``GET /api/v5/asset/currencies`` (none): what ccxt's ``load_markets`` reads.

A request signed with another API key gets OKX's ``50111`` ("Invalid OK-ACCESS-KEY") with 401.
Every request is recorded (method, path, API key header); anything else is a 404 naming the path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from tests.fakes.loopback import LoopbackFake, Recorded

DEFAULT_API_KEY: Final = "fake-okx-key-0123456789"
ACCOUNT_CONFIG: Final = "/api/v5/account/config"
SPOT_BTC_USDT: Final[dict[str, Any]] = {
    "instType": "SPOT",
    "instId": "BTC-USDT",
    "baseCcy": "BTC",
    "quoteCcy": "USDT",
    "settleCcy": "",
    "ctVal": "",
    "ctMult": "",
    "ctValCcy": "",
    "listTime": "1606468572000",
    "lotSz": "0.00000001",
    "minSz": "0.00001",
    "tickSz": "0.1",
    "maxLmtSz": "9999999999",
    "maxMktSz": "1000000",
    "state": "live",
}


@dataclass
class FakeOkxAPI(LoopbackFake):
    """Set ``withdraw`` or ``ip`` to change what the key reports."""

    balances: dict[str, str] = field(default_factory=lambda: {"USDT": "1000"})
    api_key: str = DEFAULT_API_KEY
    withdraw: bool = False
    ip: str = "203.0.113.10"
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    # -- the endpoints ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("OK-ACCESS-KEY")
        self.requests.append(Recorded(request.method, request.path, key))
        public = {"/api/v5/public/instruments": self._instruments}
        private = {
            ACCOUNT_CONFIG: self._config,
            "/api/v5/account/balance": self._balance,
            "/api/v5/asset/currencies": self._currencies,
        }
        if request.method == "GET" and request.path in public:
            return self._answer(public[request.path](request))
        if request.method != "GET" or request.path not in private:
            return web.json_response({"code": "404", "msg": request.path, "data": []}, status=404)
        if key != self.api_key:
            body = {"code": "50111", "msg": "Invalid OK-ACCESS-KEY", "data": []}
            return web.json_response(body, status=401)
        return self._answer(private[request.path](request))

    @staticmethod
    def _answer(data: list[dict[str, Any]]) -> web.Response:
        return web.json_response({"code": "0", "msg": "", "data": data})

    def _config(self, _request: web.Request) -> list[dict[str, Any]]:
        perm = "read_only,trade" + (",withdraw" if self.withdraw else "")
        return [
            {
                "acctLv": "2",
                "posMode": "net_mode",
                "uid": "44705892343619584",
                "mainUid": "44705892343619584",
                "label": "tsbot",
                "level": "Lv1",
                "ip": self.ip,
                "perm": perm,
            }
        ]

    def _balance(self, _request: web.Request) -> list[dict[str, Any]]:
        details = [
            {"ccy": coin, "eq": amount, "availBal": amount, "frozenBal": "0"}
            for coin, amount in self.balances.items()
        ]
        return [{"uTime": str(int(time.time() * 1000)), "details": details}]

    @staticmethod
    def _currencies(_request: web.Request) -> list[dict[str, Any]]:
        return []  # ccxt then knows the coins from the markets

    @staticmethod
    def _instruments(request: web.Request) -> list[dict[str, Any]]:
        return [SPOT_BTC_USDT] if request.query.get("instType") == "SPOT" else []
