"""Per-exchange differences of the live adapter, chosen by ccxt exchange id.

``ExchangeQuirks`` does everything the unified ccxt way; a subclass overrides only what its
exchange does differently, and ``quirks_for(exchange_id)`` picks it (``QUIRKS``). The client
never branches on the exchange name: a new difference is an option in ``ccxt_options`` or a
method here, with a subclass for the exchanges that need it. Methods receive the ccxt exchange
object (``Any``: ccxt has no types) and return ccxt calls for the client to run, so retries
and error translation stay in one place (the client's ``_read``). Derivatives clients (ccxt
``defaultType`` swap) get ``DERIVATIVES_QUIRKS`` instead: on binance that is USDⓈ-M (``/fapi``),
where stop orders live apart from plain ones (ccxt's ``trigger`` flag, Binance's algo orders),
so an order looked up or cancelled by id is tried in both places. What a venue says of an API
key's own rights (may it withdraw, is it bound to IPs) is ``key_checks``: ``quirks_for`` gives
every quirks the ``KeyCheck`` of its exchange id.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Final

import ccxt

from services.exchange.key_checks import KeyCheck, Read, key_check_for

__all__ = [
    "DERIVATIVES_QUIRKS",
    "QUIRKS",
    "BinanceQuirks",
    "BinanceUsdmQuirks",
    "CcxtCall",
    "ExchangeQuirks",
    "Read",
    "quirks_for",
]

CcxtCall = Callable[[], Awaitable[Any]]


class ExchangeQuirks:
    """How an exchange is driven when it follows ccxt's unified API."""

    ccxt_options: ClassVar[Mapping[str, Any]] = {}
    """Extra ccxt ``options`` for this exchange (merged over the client's defaults)."""
    key_check: KeyCheck = KeyCheck()
    """What the venue says of a key's rights (``key_checks``; set by ``quirks_for``)."""

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
        return await self.key_check.withdrawals_enabled(ex, read)

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        """Whether the API key works only from whitelisted IPs; ``None`` where not said."""
        return await self.key_check.ip_restricted(ex, read)


class BinanceQuirks(ExchangeQuirks):
    """binance: spot markets only, client ids under ``origClientOrderId``."""

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


QUIRKS: Final[Mapping[str, type[ExchangeQuirks]]] = {"binance": BinanceQuirks}
DERIVATIVES_QUIRKS: Final[Mapping[str, type[ExchangeQuirks]]] = {"binance": BinanceUsdmQuirks}


def quirks_for(exchange_id: str, *, derivatives: bool = False) -> ExchangeQuirks:
    """The quirks of a ccxt exchange id, for its spot or its derivatives (swap) markets (the
    unified ccxt way for ids without an entry)."""
    table = DERIVATIVES_QUIRKS if derivatives else QUIRKS
    quirks = table.get(exchange_id, ExchangeQuirks)()
    quirks.key_check = key_check_for(exchange_id)
    return quirks
