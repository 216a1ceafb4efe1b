"""What each venue says of an API key's own rights: may it withdraw, is it bound to IPs (T11).

One small ``KeyCheck`` per venue reads the venue's key-information endpoint through ccxt's
implicit method, with the client's retried, translated read (``Read``), and answers
``withdrawals_enabled`` / ``ip_restricted`` with True, False or None ("the venue does not
say"). ``KEY_CHECKS`` lists the venues whose key check can tell the withdraw right;
``key_check_for`` gives the plain ``KeyCheck`` (None, None) to every other one, and
``reports_withdrawals`` is how /connect tells the two apart (an unchecked venue takes live keys
only when the operator allows it: ``core.config_keys``). An answer the venue gives in a shape
not understood is None, never False: unknown is not "safe".

Sources (the venue's own API docs): binance ``GET /sapi/v1/account/apiRestrictions``; bybit
``GET /v5/user/query-api``; okx ``GET /api/v5/account/config``; kucoin
``GET /api/v1/user/api-key``; kraken ``POST /0/private/GetApiKeyInfo``; coinbase
``GET /api/v3/brokerage/key_permissions`` (no IP list); bitget ``GET /api/v2/spot/account/info``;
htx ``GET /v2/user/uid`` then ``GET /v2/user/api-key``; bitfinex ``POST /v2/auth/r/permissions``
(no IP list).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from core.errors import UserError

__all__ = [
    "KEY_CHECKS",
    "KeyCheck",
    "Read",
    "key_check_for",
    "key_endpoint",
    "reports_withdrawals",
]

Read = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[Any]]
"""The client's retried, translated read-only call: ``await read(action, call)``."""


class KeyCheck:
    """A venue that says nothing of a key's rights: both answers are None (unknown)."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        """Whether the API key may withdraw; ``None`` where the venue does not say."""
        return None

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        """Whether the API key works only from whitelisted IPs; ``None`` where not said."""
        return None


async def key_endpoint(ex: Any, read: Read, method_name: str, *args: Any) -> Any:
    """The answer of the venue's key-information endpoint (ccxt's implicit method
    ``method_name``), or None when this ccxt or this venue (a testnet) does not have it."""
    method = getattr(ex, method_name, None)
    if method is None:
        return None
    try:
        return await read("read the API key permissions", lambda: method(*args))
    except UserError:
        return None  # NotSupported: an endpoint this venue does not have


def _dict(value: Any, key: str) -> dict[str, Any] | None:
    inner = value.get(key) if isinstance(value, dict) else None
    return inner if isinstance(inner, dict) else None


def _words(value: Any) -> set[str] | None:
    """A comma-separated string or a list of strings, as a set of lower-case words."""
    if isinstance(value, str):
        return {w.strip().lower() for w in value.split(",") if w.strip()}
    if isinstance(value, list) and all(isinstance(w, str) for w in value):
        return {w.strip().lower() for w in value if w.strip()}
    return None


def _bound(value: Any) -> bool | None:
    """An IP list (string or list) -> whether it binds the key to some address (a wildcard
    among them, ``*`` or a whole address space, binds it to none)."""
    words = _words(value)
    if words is None:
        return None
    return bool(words) and not words & {"*", "0.0.0.0/0", "::/0"}


class BinanceKeyCheck(KeyCheck):
    """``enableWithdrawals`` and ``ipRestrict`` of ``sapi/account/apiRestrictions``."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        return await self._flag(ex, read, "enableWithdrawals")

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        return await self._flag(ex, read, "ipRestrict")

    @staticmethod
    async def _flag(ex: Any, read: Read, field: str) -> bool | None:
        raw = await key_endpoint(ex, read, "sapi_get_account_apirestrictions")
        value = raw.get(field) if isinstance(raw, dict) else None
        return None if value is None else bool(value)


class BybitKeyCheck(KeyCheck):
    """``permissions.Wallet`` lists ``Withdraw`` for a key that may withdraw; ``ips`` is
    ``["*"]`` for a key bound to no address."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        permissions = _dict(await self._info(ex, read), "permissions")
        wallet = _words(permissions.get("Wallet") or []) if permissions is not None else None
        return None if wallet is None else "withdraw" in wallet

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        info = await self._info(ex, read)
        return None if info is None else _bound(info.get("ips"))

    @staticmethod
    async def _info(ex: Any, read: Read) -> dict[str, Any] | None:
        return _dict(await key_endpoint(ex, read, "private_get_v5_user_query_api"), "result")


class OkxKeyCheck(KeyCheck):
    """``perm`` (comma-separated) holds ``withdraw``; ``ip`` is ``""`` when bound to none."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        perm = _words(await self._field(ex, read, "perm"))
        return None if perm is None else "withdraw" in perm

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        return _bound(await self._field(ex, read, "ip"))

    @staticmethod
    async def _field(ex: Any, read: Read, field: str) -> Any:
        raw = await key_endpoint(ex, read, "private_get_account_config")
        data = raw.get("data") if isinstance(raw, dict) else None
        first = data[0] if isinstance(data, list) and data else None
        value = first.get(field) if isinstance(first, dict) else None
        return value if isinstance(value, str) else None


class KucoinKeyCheck(KeyCheck):
    """``permission`` (comma-separated) holds ``Withdrawal`` (``Transfer`` on keys made before
    KuCoin renamed it); ``ipWhitelist`` is empty when bound to none."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        perm = _words((await self._data(ex, read) or {}).get("permission"))
        return None if perm is None else bool(perm & {"withdrawal", "transfer"})

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        return _bound((await self._data(ex, read) or {}).get("ipWhitelist"))

    @staticmethod
    async def _data(ex: Any, read: Read) -> dict[str, Any] | None:
        return _dict(await key_endpoint(ex, read, "private_get_user_api_key"), "data")


class KrakenKeyCheck(KeyCheck):
    """``permissions`` lists ``withdraw-funds``; ``ipAllowlist`` is ``[]`` when bound to none."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        perms = _words((await self._result(ex, read) or {}).get("permissions"))
        return None if perms is None else "withdraw-funds" in perms

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        return _bound((await self._result(ex, read) or {}).get("ipAllowlist"))

    @staticmethod
    async def _result(ex: Any, read: Read) -> dict[str, Any] | None:
        return _dict(await key_endpoint(ex, read, "private_post_getapikeyinfo"), "result")


class CoinbaseKeyCheck(KeyCheck):
    """``can_transfer`` (send funds off the platform); Coinbase reports no IP list."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        raw = await key_endpoint(ex, read, "v3_private_get_brokerage_key_permissions")
        value = raw.get("can_transfer") if isinstance(raw, dict) else None
        return value if isinstance(value, bool) else None


class BitgetKeyCheck(KeyCheck):
    """``authorities`` holds ``wwow`` (wallet withdrawal) for a key that may withdraw; ``ips``
    is the whitelist (``""`` when none)."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        rights = _words((await self._data(ex, read) or {}).get("authorities"))
        return None if rights is None else bool(rights & {"wwow", "withdraw"})

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        return _bound((await self._data(ex, read) or {}).get("ips"))

    @staticmethod
    async def _data(ex: Any, read: Read) -> dict[str, Any] | None:
        return _dict(await key_endpoint(ex, read, "private_spot_get_v2_spot_account_info"), "data")


class HtxKeyCheck(KeyCheck):
    """The account's uid (``/v2/user/uid``), then this key among the uid's keys
    (``/v2/user/api-key``): ``permission`` holds ``withdraw``, ``ipAddresses`` the bound
    addresses (``""`` when none; such a key expires after 90 days)."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        perm = _words((await self._key(ex, read) or {}).get("permission"))
        return None if perm is None else "withdraw" in perm

    async def ip_restricted(self, ex: Any, read: Read) -> bool | None:
        return _bound((await self._key(ex, read) or {}).get("ipAddresses"))

    @staticmethod
    async def _key(ex: Any, read: Read) -> dict[str, Any] | None:
        uid = await key_endpoint(ex, read, "v2private_get_user_uid")
        uid = uid.get("data") if isinstance(uid, dict) else None
        if not isinstance(uid, int | str) or isinstance(uid, bool):
            return None
        query = {"uid": uid, "accessKey": ex.apiKey}
        raw = await key_endpoint(ex, read, "v2private_get_user_api_key", query)
        keys = raw.get("data") if isinstance(raw, dict) else None
        mine = [k for k in keys or [] if isinstance(k, dict) and k.get("accessKey") == ex.apiKey]
        return mine[0] if mine else None


class BitfinexKeyCheck(KeyCheck):
    """``[scope, read, write]`` rows: write on ``withdraw`` lets the key withdraw; Bitfinex
    reports no IP list."""

    async def withdrawals_enabled(self, ex: Any, read: Read) -> bool | None:
        rows = await key_endpoint(ex, read, "private_post_auth_r_permissions")
        if not isinstance(rows, list):
            return None
        scopes = {str(r[0]): r for r in rows if isinstance(r, list) and len(r) >= 3}
        withdraw = scopes.get("withdraw")
        return None if withdraw is None else bool(withdraw[2])


KEY_CHECKS: Final[Mapping[str, type[KeyCheck]]] = {
    "binance": BinanceKeyCheck,
    "bybit": BybitKeyCheck,
    "okx": OkxKeyCheck,
    "kucoin": KucoinKeyCheck,
    "kraken": KrakenKeyCheck,
    "coinbase": CoinbaseKeyCheck,
    "bitget": BitgetKeyCheck,
    "htx": HtxKeyCheck,
    "bitfinex": BitfinexKeyCheck,
}


def key_check_for(exchange_id: str) -> KeyCheck:
    """The key check of a ccxt exchange id (the plain one, saying nothing, for the others)."""
    return KEY_CHECKS.get(exchange_id, KeyCheck)()


def reports_withdrawals(exchange_id: str) -> bool:
    """Whether the venue can tell a key's withdraw right (else /connect cannot check it)."""
    return exchange_id in KEY_CHECKS
