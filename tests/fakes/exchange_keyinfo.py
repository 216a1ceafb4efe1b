"""FakeVenueAPI: the few endpoints real ccxt 4.5.90 calls to check a key at /connect on KuCoin,
Kraken, Coinbase, Bitget, HTX and Bitfinex, on 127.0.0.1, one small ``Venue`` spec each.

For every venue: what ccxt's ``fetch_balance`` reads (the markets come from saved markets,
``saved_market``, so ``load_markets`` asks nothing) and the venue's key-information endpoint,
shaped as the venue's docs give it:

- kucoin ``GET /api/v1/user/api-key``: ``permission`` "General,Spot" (+ ",Withdrawal"),
  ``ipWhitelist`` a comma-separated string (https://www.kucoin.com/docs-new, Get Apikey Info);
- kraken ``POST /0/private/GetApiKeyInfo``: ``permissions`` list (+ "withdraw-funds"),
  ``ipAllowlist`` list (https://docs.kraken.com/api-reference/account-data/get-api-key-info);
- coinbase ``GET /api/v3/brokerage/key_permissions``: ``can_transfer``, no IP list
  (https://docs.cdp.coinbase.com, Get API Key Permissions);
- bitget ``GET /api/v2/spot/account/info``: ``authorities`` (+ "wwow", wallet withdrawal),
  ``ips`` a string (https://www.bitget.com/api-doc/spot/account/Get-Account-Info);
- htx ``GET /v2/user/uid`` then ``GET /v2/user/api-key?uid=&accessKey=``: ``permission``
  "readOnly,trade" (+ ",withdraw"), ``ipAddresses`` a string (HTX API key management, 2020);
- bitfinex ``POST /v2/auth/r/permissions``: ``[scope, read, write]`` rows, ``withdraw`` written
  when the key may withdraw, no IP list (https://docs.bitfinex.com/reference/key-permissions);
- bitstamp: the balance only (``POST /api/v2/account_balances/``): Bitstamp has no endpoint
  telling a key's own permissions.

Set ``withdraw`` or ``ips`` to change what the key reports. A request with another API key gets
the venue's "invalid key" answer; every request is recorded (method, path); anything else is a
404 naming the path, so a test sees at once which call a new ccxt makes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from tests.fakes.loopback import LoopbackFake, Recorded

Answer = Callable[["FakeVenueAPI", web.Request], Any]


@dataclass(frozen=True)
class Venue:
    """How one venue is asked and answers: where the API key travels, its routes, and its
    answer (body, status) to a key it does not know."""

    key_of: Callable[[web.Request], str | None]
    routes: dict[tuple[str, str], Answer]
    key_info: tuple[str, str] | None  # (method, path) of the key-information endpoint
    bad_key: tuple[Any, int]
    reports_ips: bool = True


@dataclass
class FakeVenueAPI(LoopbackFake):
    """One venue's fake; ``withdraw`` and ``ips`` are what the key reports."""

    venue_id: str
    api_key: str = "fake-venue-key-0123456789"
    withdraw: bool = False
    ips: list[str] = field(default_factory=lambda: ["203.0.113.10"])
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    @property
    def venue(self) -> Venue:
        return VENUES[self.venue_id]

    @property
    def key_info_calls(self) -> int:
        where = self.venue.key_info
        return sum(1 for r in self.requests if (r.method, r.path) == where)

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(Recorded(request.method, request.path))
        answer = self.venue.routes.get((request.method, request.path))
        if answer is None:
            return web.json_response({"error": f"not served: {request.path}"}, status=404)
        if self.venue.key_of(request) != self.api_key:
            body, status = self.venue.bad_key
            return web.json_response(body, status=status)
        return web.json_response(answer(self, request))


def saved_market(venue_id: str) -> dict[str, Any]:
    """The one spot market (BTC/USDT) ccxt is given as saved markets (``EXCHANGE_MARKETS_DIR``)."""
    market_id = {"kraken": "XBTUSDT", "coinbase": "BTC-USDT", "bitfinex": "tBTCUST"}
    return {
        "BTC/USDT": {
            "id": market_id.get(venue_id, "BTCUSDT"),
            "symbol": "BTC/USDT",
            "base": "BTC",
            "quote": "USDT",
            "baseId": "BTC",
            "quoteId": "USDT",
            "type": "spot",
            "spot": True,
            "active": True,
            "precision": {"amount": 1e-8, "price": 0.01},
            "limits": {"amount": {"min": 1e-5}},
        }
    }


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- kucoin --------------------------------------------------------------------------------------


def _kucoin(data: Any) -> dict[str, Any]:
    return {"code": "200000", "data": data}


KUCOIN: Final = Venue(
    key_of=lambda r: r.headers.get("KC-API-KEY"),
    routes={
        ("GET", "/api/ua/v1/account/mode"): lambda f, r: _kucoin({"selfAccountMode": "CLASSIC"}),
        ("GET", "/api/v1/accounts"): lambda f, r: _kucoin(
            [
                {
                    "id": "1",
                    "currency": "USDT",
                    "type": "trade",
                    "balance": "1000",
                    "available": "1000",
                    "holds": "0",
                }
            ]
        ),
        ("GET", "/api/v1/user/api-key"): lambda f, r: _kucoin(
            {
                "remark": "tsbot",
                "apiKey": f.api_key,
                "apiVersion": 3,
                "permission": "General,Spot" + (",Withdrawal" if f.withdraw else ""),
                "ipWhitelist": ",".join(f.ips),
                "createdAt": _now_ms(),
                "uid": 165111215,
                "isMaster": True,
            }
        ),
    },
    key_info=("GET", "/api/v1/user/api-key"),
    bad_key=({"code": "400003", "msg": "KC-API-KEY not exists"}, 401),
)

# -- kraken --------------------------------------------------------------------------------------

KRAKEN: Final = Venue(
    key_of=lambda r: r.headers.get("API-Key"),
    routes={
        ("POST", "/0/private/BalanceEx"): lambda f, r: {
            "error": [],
            "result": {"USDT": {"balance": "1000.0000", "hold_trade": "0.0000"}},
        },
        ("POST", "/0/private/GetApiKeyInfo"): lambda f, r: {
            "error": [],
            "result": {
                "apiKeyName": "tsbot",
                "apiKey": f.api_key,
                "nonce": "0",
                "nonceWindow": 0,
                "permissions": ["query-funds", "query-open-trades", "modify-trades"]
                + (["withdraw-funds"] if f.withdraw else []),
                "iban": "AA88 N84G WOAK NMOI",
                "validUntil": "0",
                "queryFrom": "0",
                "queryTo": "0",
                "createdTime": "1772542900",
                "modifiedTime": "1772543095",
                "ipAllowlist": list(f.ips),
                "lastUsed": "1772627061",
            },
        },
    },
    key_info=("POST", "/0/private/GetApiKeyInfo"),
    bad_key=({"error": ["EAPI:Invalid key"]}, 200),
)

# -- coinbase ------------------------------------------------------------------------------------

COINBASE: Final = Venue(
    key_of=lambda r: r.headers.get("CB-ACCESS-KEY"),
    routes={
        ("GET", "/v2/accounts"): lambda f, r: {
            "pagination": {"next_uri": None},
            "data": [
                {
                    "id": "a1",
                    "name": "USDT Wallet",
                    "primary": True,
                    "type": "wallet",
                    "currency": {"code": "USDT"},
                    "balance": {"amount": "1000.00", "currency": "USDT"},
                }
            ],
        },
        ("GET", "/api/v3/brokerage/key_permissions"): lambda f, r: {
            "can_view": True,
            "can_trade": True,
            "can_transfer": f.withdraw,
            "portfolio_uuid": "8b3c1f3e-0000-4000-8000-000000000001",
            "portfolio_type": "DEFAULT",
        },
    },
    key_info=("GET", "/api/v3/brokerage/key_permissions"),
    bad_key=({"errors": [{"id": "authentication_error", "message": "invalid api key"}]}, 401),
    reports_ips=False,
)

# -- bitget --------------------------------------------------------------------------------------


def _bitget(data: Any) -> dict[str, Any]:
    return {"code": "00000", "msg": "success", "requestTime": _now_ms(), "data": data}


BITGET: Final = Venue(
    key_of=lambda r: r.headers.get("ACCESS-KEY"),
    routes={
        ("GET", "/api/v2/spot/account/assets"): lambda f, r: _bitget(
            [
                {
                    "coin": "USDT",
                    "available": "1000",
                    "frozen": "0",
                    "locked": "0",
                    "limitAvailable": "0",
                    "uTime": str(_now_ms()),
                }
            ]
        ),
        ("GET", "/api/v2/spot/account/info"): lambda f, r: _bitget(
            {
                "userId": "4411",
                "inviterId": "0",
                "ips": ",".join(f.ips),
                "authorities": ["stor", "stow"] + (["wwow"] if f.withdraw else []),
                "parentId": 4411,
                "traderType": "not_trader",
                "channelCode": "",
                "channel": "",
                "regisTime": "1695808949356",
            }
        ),
    },
    key_info=("GET", "/api/v2/spot/account/info"),
    bad_key=({"code": "40006", "msg": "Invalid ACCESS_KEY", "data": None}, 400),
)

# -- htx -----------------------------------------------------------------------------------------

HTX_ACCOUNT: Final = 1001
HTX_UID: Final = 63628520

HTX: Final = Venue(
    key_of=lambda r: r.query.get("AccessKeyId"),
    routes={
        ("GET", "/v1/account/accounts"): lambda f, r: {
            "status": "ok",
            "data": [{"id": HTX_ACCOUNT, "type": "spot", "subtype": "", "state": "working"}],
        },
        ("GET", f"/v1/account/accounts/{HTX_ACCOUNT}/balance"): lambda f, r: {
            "status": "ok",
            "data": {
                "id": HTX_ACCOUNT,
                "type": "spot",
                "state": "working",
                "list": [
                    {"currency": "usdt", "type": "trade", "balance": "1000"},
                    {"currency": "usdt", "type": "frozen", "balance": "0"},
                ],
            },
        },
        ("GET", "/v2/user/uid"): lambda f, r: {"code": 200, "data": HTX_UID, "ok": True},
        ("GET", "/v2/user/api-key"): lambda f, r: {
            "code": 200,
            "message": "success",
            "ok": True,
            "data": [
                {
                    "accessKey": f.api_key,
                    "note": "tsbot",
                    "permission": "readOnly,trade" + (",withdraw" if f.withdraw else ""),
                    "ipAddresses": ",".join(f.ips),
                    "validDays": -1 if f.ips else 90,
                    "status": "normal",
                    "createTime": 1591348751000,
                    "updateTime": 1591348751000,
                }
            ]
            if r.query.get("uid") == str(HTX_UID)
            else [],
        },
    },
    key_info=("GET", "/v2/user/api-key"),
    bad_key=(
        {
            "status": "error",
            "err-code": "api-signature-not-valid",
            "err-msg": "Signature not valid: Incorrect Access key",
            "data": None,
        },
        200,
    ),
)

# -- bitfinex ------------------------------------------------------------------------------------

BITFINEX: Final = Venue(
    key_of=lambda r: r.headers.get("bfx-apikey"),
    routes={
        ("POST", "/v2/auth/r/wallets"): lambda f, r: [
            ["exchange", "UST", 1000.0, 0, 1000.0, "", None]
        ],
        ("POST", "/v2/auth/r/permissions"): lambda f, r: [
            ["account", 1, 0],
            ["history", 1, 0],
            ["orders", 1, 1],
            ["positions", 1, 0],
            ["funding", 1, 0],
            ["settings", 1, 0],
            ["wallets", 1, 0],
            ["withdraw", 0, 1 if f.withdraw else 0],
        ],
    },
    key_info=("POST", "/v2/auth/r/permissions"),
    bad_key=(["error", 10100, "apikey: invalid"], 500),
    reports_ips=False,
)

# -- bitstamp: no key-information endpoint (the balance only) -----------------------------------

BITSTAMP: Final = Venue(
    key_of=lambda r: r.headers.get("X-Auth", "").removeprefix("BITSTAMP "),
    routes={
        ("POST", "/api/v2/account_balances/"): lambda f, r: [
            {"currency": "usdt", "total": "1000.00", "available": "1000.00", "reserved": "0.00"}
        ],
    },
    key_info=None,
    bad_key=({"status": "error", "reason": "Invalid signature", "code": "API0005"}, 403),
    reports_ips=False,
)

VENUES: Final[dict[str, Venue]] = {
    "kucoin": KUCOIN,
    "kraken": KRAKEN,
    "coinbase": COINBASE,
    "bitget": BITGET,
    "htx": HTX,
    "bitfinex": BITFINEX,
    "bitstamp": BITSTAMP,
}
