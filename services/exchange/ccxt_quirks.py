"""Per-exchange differences of the live adapter, chosen by ccxt exchange id.

``ExchangeQuirks`` does everything the unified ccxt way; a subclass overrides only what its
exchange does differently, and ``quirks_for(exchange_id)`` picks it (``QUIRKS``). The client
never branches on the exchange name: a new difference is an option in ``ccxt_options`` or a
method here, with a subclass for the exchanges that need it. Methods receive the ccxt exchange
object (``Any``: ccxt has no types) and return ccxt calls for the client to run, so retries
and error translation stay in one place (the client's ``_read``). Derivatives clients (ccxt
``defaultType`` swap) get ``DERIVATIVES_QUIRKS`` instead: on binance that is USDⓈ-M (``/fapi``),
where stop orders live apart from plain ones (ccxt's ``trigger`` flag, Binance's algo orders),
so an order looked up or cancelled by id is tried in both places.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Final

import ccxt

from core.errors import UserError

__all__ = [
    "DERIVATIVES_QUIRKS",
    "QUIRKS",
    "BinanceQuirks",
    "BinanceUsdmQuirks",
    "BybitQuirks",
    "CcxtCall",
    "ExchangeQuirks",
    "OkxQuirks",
    "Read",
    "quirks_for",
]

CcxtCall = Callable[[], Awaitable[Any]]
Read = Callable[[str, CcxtCall], Awaitable[Any]]
"""The client's retried, translated read-only call: ``await read(action, call)``."""


class ExchangeQuirks:
    """How an exchange is driven when it follows ccxt's unified API."""

    ccxt_options: ClassVar[Mapping[str, Any]] = {}
    """Extra ccxt ``options`` for this exchange (merged over the client's defaults)."""

    def prepare(self, ex: Any) -> None:
        """Adjust a new ccxt exchange object beyond its options (once, before any call)."""

    def order_by_client_id(self, ex: Any, symbol: str, client_order_id: str) -> CcxtCall:
        """The ccxt call that looks an order up by our client order id."""
        return lambda: ex.fetch_order_with_client_order_id(client_order_id, symbol)

    def fetch_order(self, ex: Any, symbol: str, order_id: str) -> CcxtCall:
        return lambda: ex.fetch_order(order_id, symbol)

    def cancel_order(self, ex: Any, symbol: str, order_id: str) -> CcxtCall:
        return lambda: ex.cancel_order(order_id, symbol)

    def open_orders(self, ex: Any, symbol: str | None) -> CcxtCall:
        return lambda: ex.fetch_open_orders(symbol)

    def position_locked(self, exc: Exception) -> bool:
        """True when ``exc`` is the exchange refusing a margin-mode or leverage change because
        the symbol has an open position or orders (the current setting stays in force)."""
        return False

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        """Whether the API key may withdraw; ``None`` where the exchange does not say."""
        return None

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        """Whether the API key works only from whitelisted IPs; ``None`` where not said."""
        return None


class BinanceQuirks(ExchangeQuirks):
    """binance: spot markets only, client ids under ``origClientOrderId``, key restrictions."""

    # Load spot markets only (no margin pairs, no private currencies call), and allow open
    # orders without a symbol (ccxt refuses by default).
    ccxt_options: ClassVar[Mapping[str, Any]] = {
        "fetchMarkets": {"types": ["spot"]},
        "fetchMargins": False,
        "fetchCurrencies": False,
        "warnOnFetchOpenOrdersWithoutSymbol": False,
    }

    def order_by_client_id(self, ex: Any, symbol: str, client_order_id: str) -> CcxtCall:
        return lambda: ex.fetch_order(None, symbol, {"origClientOrderId": client_order_id})

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        """The key's ``enableWithdrawals`` from ``sapi/account/apiRestrictions``."""
        return await self._restriction(ex, read, "enableWithdrawals")

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        """The key's ``ipRestrict`` from ``sapi/account/apiRestrictions``."""
        return await self._restriction(ex, read, "ipRestrict")

    @staticmethod
    async def _restriction(ex: Any, read: Read, field: str) -> bool | None:
        raw = await _key_endpoint(ex, read, "sapi_get_account_apirestrictions")
        value = raw.get(field) if isinstance(raw, dict) else None
        return None if value is None else bool(value)


class BybitQuirks(ExchangeQuirks):
    """bybit: the unified ccxt way, plus the key's permissions and IP binding from
    ``GET /v5/user/query-api`` (https://bybit-exchange.github.io/docs/v5/user/apikey-info):
    ``permissions.Wallet`` lists ``Withdraw`` for a key that may withdraw, and ``ips`` is
    ``["*"]`` for a key bound to no address."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        info = await self._key_info(ex, read)
        permissions = info.get("permissions") if info is not None else None
        if not isinstance(permissions, dict):
            return None
        return "Withdraw" in (permissions.get("Wallet") or [])

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        info = await self._key_info(ex, read)
        ips = info.get("ips") if info is not None else None
        if not isinstance(ips, list):
            return None
        return bool(ips) and "*" not in ips

    @staticmethod
    async def _key_info(ex: Any, read: Read) -> dict[str, Any] | None:
        raw = await _key_endpoint(ex, read, "private_get_v5_user_query_api")
        result = raw.get("result") if isinstance(raw, dict) else None
        return result if isinstance(result, dict) else None


class OkxQuirks(ExchangeQuirks):
    """okx: the unified ccxt way, plus the key's permissions and IP binding from
    ``GET /api/v5/account/config``: ``perm`` is a comma-separated list holding ``withdraw`` for
    a key that may withdraw, and ``ip`` the bound addresses (``""`` when none)."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        perm = await self._config_field(ex, read, "perm")
        return None if perm is None else "withdraw" in perm.replace(" ", "").split(",")

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        ips = await self._config_field(ex, read, "ip")
        return None if ips is None else bool(ips.strip())

    @staticmethod
    async def _config_field(ex: Any, read: Read, field: str) -> str | None:
        raw = await _key_endpoint(ex, read, "private_get_account_config")
        data = raw.get("data") if isinstance(raw, dict) else None
        first = data[0] if isinstance(data, list) and data else None
        value = first.get(field) if isinstance(first, dict) else None
        return value if isinstance(value, str) else None


async def _key_endpoint(ex: Any, read: Read, method_name: str) -> Any:
    """The answer of the venue's key-information endpoint (ccxt's implicit method
    ``method_name``), or None when this ccxt or this venue (a testnet) does not have it."""
    method = getattr(ex, method_name, None)
    if method is None:
        return None
    try:
        return await read("read the API key permissions", method)
    except UserError:
        return None  # NotSupported: an endpoint this venue does not have


BINANCE_CODE: Final = re.compile(r'"code"\s*:\s*(-?\d+)')
# Binance futures: margin type not changeable with open orders (-4047) or a position (-4048);
# leverage not lowerable on an isolated position (-4161). ccxt maps them to OperationRejected
# or a bare ExchangeError, so the code in its message is what tells them apart.
BINANCE_POSITION_LOCKED: Final = frozenset({-4047, -4048, -4161})


class BinanceUsdmQuirks(BinanceQuirks):
    """binance USDⓈ-M perpetuals (``/fapi``): linear markets only, positions from
    ``/fapi/v2/positionRisk`` (v3 has no leverage), stop orders as algo orders."""

    ccxt_options: ClassVar[Mapping[str, Any]] = {
        **BinanceQuirks.ccxt_options,
        "fetchMarkets": {"types": ["linear"]},
        "fetchPositionsRisk": {"useV2": True},
    }

    def prepare(self, ex: Any) -> None:
        """ccxt picks binance's futures error classes by host name (``fapi.binance.com``), so
        behind ``urls_override`` (a mirror, the test fake) -2022, -2019, -4164... would all be a
        bare ExchangeError. A USDⓈ-M client only speaks /fapi: its codes join the general map
        (they overlap none of its entries), so an error means the same whatever the host."""
        for kind in ("exact", "broad"):
            linear = (ex.exceptions.get("linear") or {}).get(kind) or {}
            ex.exceptions[kind] = {**ex.exceptions.get(kind, {}), **linear}

    def order_by_client_id(self, ex: Any, symbol: str, client_order_id: str) -> CcxtCall:
        return _plain_or_trigger(
            ex,
            symbol,
            lambda extra: ex.fetch_order(
                None, symbol, {"origClientOrderId": client_order_id, **extra}
            ),
        )

    def fetch_order(self, ex: Any, symbol: str, order_id: str) -> CcxtCall:
        return _plain_or_trigger(ex, symbol, lambda extra: ex.fetch_order(order_id, symbol, extra))

    def cancel_order(self, ex: Any, symbol: str, order_id: str) -> CcxtCall:
        async def cancel() -> Any:
            try:
                return await ex.cancel_order(order_id, symbol)
            except ccxt.OrderNotFound:
                # Binance answers an algo cancel with ids only; read the order for its state.
                await ex.cancel_order(order_id, symbol, {"trigger": True})
                return await ex.fetch_order(order_id, symbol, {"trigger": True})

        return cancel

    def open_orders(self, ex: Any, symbol: str | None) -> CcxtCall:
        async def both() -> list[Any]:
            plain = await ex.fetch_open_orders(symbol)
            return [*plain, *await ex.fetch_open_orders(symbol, None, None, {"trigger": True})]

        return both

    def position_locked(self, exc: Exception) -> bool:
        found = BINANCE_CODE.search(str(exc))
        return found is not None and int(found.group(1)) in BINANCE_POSITION_LOCKED


def _plain_or_trigger(
    ex: Any, symbol: str, fetch: Callable[[dict[str, Any]], Awaitable[Any]]
) -> CcxtCall:
    """Look among plain orders, then among stop (algo) orders; a stop that has fired reports
    the fill of the market order it became (``actualOrderId``) under its own ids."""

    async def run() -> Any:
        try:
            return await fetch({})
        except ccxt.OrderNotFound:
            stop = await fetch({"trigger": True})
        actual = str((stop.get("info") or {}).get("actualOrderId") or "")
        if not actual:
            return stop
        fill = await ex.fetch_order(actual, symbol)
        return {
            **fill,
            "id": stop.get("id"),
            "clientOrderId": stop.get("clientOrderId"),
            "type": stop.get("type"),
            "triggerPrice": stop.get("triggerPrice"),
            "reduceOnly": stop.get("reduceOnly"),
            "info": {**(stop.get("info") or {}), "actualOrder": fill.get("info")},
        }

    return run


QUIRKS: Final[Mapping[str, type[ExchangeQuirks]]] = {
    "binance": BinanceQuirks,
    "bybit": BybitQuirks,
    "okx": OkxQuirks,
}
DERIVATIVES_QUIRKS: Final[Mapping[str, type[ExchangeQuirks]]] = {"binance": BinanceUsdmQuirks}


def quirks_for(exchange_id: str, *, derivatives: bool = False) -> ExchangeQuirks:
    """The quirks of a ccxt exchange id, for its spot or its derivatives (swap) markets (the
    unified ccxt way for ids without an entry)."""
    table = DERIVATIVES_QUIRKS if derivatives else QUIRKS
    return table.get(exchange_id, ExchangeQuirks)()
