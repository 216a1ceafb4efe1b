"""services/exchange/key_checks.py as a table: each venue's key-information answer (shaped as
the venue's docs give it) -> (may withdraw, bound to IPs). An answer in a shape not understood
is None (unknown), never False; a venue without an endpoint says None for both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from services.exchange.factory import OFFERED_EXCHANGES
from services.exchange.key_checks import KEY_CHECKS, key_check_for, reports_withdrawals


class StubExchange:
    """A ccxt exchange object whose implicit methods answer from ``answers``."""

    apiKey = "my-key"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name not in self.answers:
            raise AttributeError(name)

        async def method(*args: Any) -> Any:
            self.calls.append((name, args))
            return self.answers[name]

        return method


async def read(_action: str, call: Callable[[], Awaitable[Any]]) -> Any:
    return await call()


async def check(venue: str, answers: dict[str, Any]) -> tuple[bool | None, bool | None]:
    ex = StubExchange(answers)
    key_check = key_check_for(venue)
    return await key_check.withdrawals_enabled(ex, read), await key_check.ip_restricted(ex, read)


def kucoin(permission: Any, ips: Any) -> dict[str, Any]:
    data = {"permission": permission, "ipWhitelist": ips, "isMaster": True}
    return {"private_get_user_api_key": {"code": "200000", "data": data}}


def kraken(permissions: Any, ips: Any) -> dict[str, Any]:
    result = {"permissions": permissions, "ipAllowlist": ips}
    return {"private_post_getapikeyinfo": {"error": [], "result": result}}


def bitget(authorities: Any, ips: Any) -> dict[str, Any]:
    data = {"authorities": authorities, "ips": ips}
    return {"private_spot_get_v2_spot_account_info": {"code": "00000", "data": data}}


def htx(permission: Any, ips: Any, access_key: str = "my-key") -> dict[str, Any]:
    key = {"accessKey": access_key, "permission": permission, "ipAddresses": ips}
    return {
        "v2private_get_user_uid": {"code": 200, "data": 63628520},
        "v2private_get_user_api_key": {"code": 200, "data": [key]},
    }


TABLE: list[tuple[str, dict[str, Any], tuple[bool | None, bool | None]]] = [
    (
        "binance",
        {"sapi_get_account_apirestrictions": {"enableWithdrawals": False, "ipRestrict": True}},
        (False, True),
    ),
    (
        "binance",
        {"sapi_get_account_apirestrictions": {"enableWithdrawals": True, "ipRestrict": False}},
        (True, False),
    ),
    (
        "bybit",
        {
            "private_get_v5_user_query_api": {
                "result": {
                    "permissions": {"Wallet": ["AccountTransfer", "Withdraw"]},
                    "ips": ["*"],
                }
            }
        },
        (True, False),
    ),
    (
        "okx",
        {"private_get_account_config": {"data": [{"perm": "read_only,trade", "ip": "1.2.3.4"}]}},
        (False, True),
    ),
    ("kucoin", kucoin("General,Spot", "203.**.10"), (False, True)),
    ("kucoin", kucoin("General,Spot,Withdrawal", ""), (True, False)),
    ("kucoin", kucoin("General,Transfer", ""), (True, False)),  # its name before "Withdrawal"
    ("kucoin", kucoin("General,InnerTransfer", ["1.2.3.4"]), (False, True)),  # not a withdraw
    ("kraken", kraken(["query-funds", "modify-trades"], ["1.2.3.4/32"]), (False, True)),
    ("kraken", kraken(["query-funds", "withdraw-funds"], []), (True, False)),
    (
        "coinbase",
        {"v3_private_get_brokerage_key_permissions": {"can_trade": True, "can_transfer": False}},
        (False, None),
    ),
    (
        "coinbase",
        {"v3_private_get_brokerage_key_permissions": {"can_transfer": True}},
        (True, None),
    ),
    ("bitget", bitget(["stor", "stow"], "1.2.3.4"), (False, True)),
    ("bitget", bitget(["stow", "wwow"], ""), (True, False)),
    ("htx", htx("readOnly,trade", "1.2.3.4,5.6.7.0/24"), (False, True)),
    ("htx", htx("readOnly,trade,withdraw", ""), (True, False)),
    ("htx", htx("readOnly,trade,withdraw", "", access_key="another-key"), (None, None)),
    (
        "bitfinex",
        {"private_post_auth_r_permissions": [["orders", 1, 1], ["withdraw", 0, 0]]},
        (False, None),
    ),
    (
        "bitfinex",
        {"private_post_auth_r_permissions": [["orders", 1, 1], ["withdraw", 0, 1]]},
        (True, None),
    ),
    # shapes not understood: unknown, never "safe"
    ("kucoin", {"private_get_user_api_key": {"code": "200000", "data": None}}, (None, None)),
    ("kraken", kraken(None, None), (None, None)),
    ("bitget", {"private_spot_get_v2_spot_account_info": {"data": []}}, (None, None)),
    ("bitfinex", {"private_post_auth_r_permissions": {"error": "x"}}, (None, None)),
    ("htx", {"v2private_get_user_uid": {"data": None}}, (None, None)),
    ("kraken", {}, (None, None)),  # a ccxt without the method
    # venues without a key-information endpoint
    ("bitstamp", {}, (None, None)),
    ("mexc", {}, (None, None)),
]


@pytest.mark.parametrize(("venue", "answers", "expected"), TABLE)
async def test_each_venue_reads_its_key_information(
    venue: str, answers: dict[str, Any], expected: tuple[bool | None, bool | None]
) -> None:
    assert await check(venue, answers) == expected


async def test_htx_asks_for_this_key_under_the_accounts_uid() -> None:
    ex = StubExchange(htx("readOnly,trade", "1.2.3.4"))
    assert await key_check_for("htx").withdrawals_enabled(ex, read) is False
    assert ex.calls[-1] == (
        "v2private_get_user_api_key",
        ({"uid": 63628520, "accessKey": "my-key"},),
    )


def test_every_offered_venue_is_checked_or_named_unchecked() -> None:
    """The venues /connect offers: which can tell a key's withdraw right (the rest take live
    keys only when the operator allows them, after the user's yes)."""
    checked = {v for v in OFFERED_EXCHANGES if reports_withdrawals(v)}
    assert checked == {
        "binance",
        "bybit",
        "okx",
        "kucoin",
        "kraken",
        "coinbase",
        "bitget",
        "htx",
        "bitfinex",
    }
    assert set(OFFERED_EXCHANGES) - checked == {"gate", "mexc", "bitstamp"}
    assert set(KEY_CHECKS) == checked
