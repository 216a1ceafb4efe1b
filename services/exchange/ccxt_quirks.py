"""Per-exchange differences of the live adapter, chosen by ccxt exchange id.

``ExchangeQuirks`` does everything the unified ccxt way; a subclass overrides only what its
exchange does differently, and ``quirks_for(exchange_id)`` picks it (``QUIRKS``). The client
never branches on the exchange name: a new difference is an option in ``ccxt_options`` or a
method here, with a subclass for the exchanges that need it. Methods receive the ccxt exchange
object (``Any``: ccxt has no types) and return ccxt calls for the client to run, so retries
and error translation stay in one place (the client's ``_read``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Final

from core.errors import UserError

__all__ = ["QUIRKS", "BinanceQuirks", "CcxtCall", "ExchangeQuirks", "Read", "quirks_for"]

CcxtCall = Callable[[], Awaitable[Any]]
Read = Callable[[str, CcxtCall], Awaitable[Any]]
"""The client's retried, translated read-only call: ``await read(action, call)``."""


class ExchangeQuirks:
    """How an exchange is driven when it follows ccxt's unified API."""

    ccxt_options: ClassVar[Mapping[str, Any]] = {}
    """Extra ccxt ``options`` for this exchange (merged over the client's defaults)."""

    def order_by_client_id(self, ex: Any, symbol: str, client_order_id: str) -> CcxtCall:
        """The ccxt call that looks an order up by our client order id."""
        return lambda: ex.fetch_order_with_client_order_id(client_order_id, symbol)

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        """Whether the API key may withdraw; ``None`` where the exchange does not say."""
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
        method = getattr(ex, "sapi_get_account_apirestrictions", None)
        if method is None:
            return None
        try:
            raw = await read("read the API key permissions", method)
        except UserError:
            return None  # NotSupported, e.g. a testnet without that endpoint
        value = raw.get("enableWithdrawals")
        return None if value is None else bool(value)


QUIRKS: Final[Mapping[str, type[ExchangeQuirks]]] = {"binance": BinanceQuirks}


def quirks_for(exchange_id: str) -> ExchangeQuirks:
    """The quirks of a ccxt exchange id (the unified ccxt way for ids not in ``QUIRKS``)."""
    return QUIRKS.get(exchange_id, ExchangeQuirks)()
