"""The fake itself: saved markets stay in sync with its exchangeInfo; Binance auth rules."""

from __future__ import annotations

import aiohttp

from tests.fakes.exchange_api import FakeExchangeAPI, build_saved_markets, load_saved_markets


def test_saved_markets_match_ccxt_parse_of_exchange_info() -> None:
    """Regenerate with ``python -m tests.fakes.exchange_api`` when this fails."""
    assert build_saved_markets() == load_saved_markets()


async def test_signed_endpoints_need_key_and_signature(exchange_api: FakeExchangeAPI) -> None:
    url = f"{exchange_api.url}/api/v3/account"
    good = {"X-MBX-APIKEY": exchange_api.api_key}
    async with aiohttp.ClientSession() as session:
        async with session.get(url, params={"timestamp": "1"}) as resp:
            assert (resp.status, (await resp.json())["code"]) == (401, -2014)
        async with session.get(
            url, params={"timestamp": "1", "signature": "x"}, headers={"X-MBX-APIKEY": "other"}
        ) as resp:
            assert (resp.status, (await resp.json())["code"]) == (401, -2015)
        async with session.get(url, params={"timestamp": "1"}, headers=good) as resp:
            assert (resp.status, (await resp.json())["code"]) == (400, -1102)
        async with session.get(
            url, params={"timestamp": "1", "signature": "x"}, headers=good
        ) as resp:
            assert resp.status == 200
        async with session.get(f"{exchange_api.url}/api/v3/time") as resp:
            assert (await resp.json()) == {"serverTime": exchange_api.now_ms}
    assert exchange_api.count("GET", "/api/v3/account") == 4


async def test_fail_next_with_binance_code(exchange_api: FakeExchangeAPI) -> None:
    exchange_api.fail_next("/api/v3/time", code=-1003, status=429, times=2)
    async with aiohttp.ClientSession() as session:
        for expected in (429, 429, 200):
            async with session.get(f"{exchange_api.url}/api/v3/time") as resp:
                assert resp.status == expected
