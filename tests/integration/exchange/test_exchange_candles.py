"""The tracker's exchange candles: real ccxt against the fake Binance's /api/v3/klines, paged,
then fetched again only from the last candle held; an unlisted pair has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from services.exchange.ccxt_client import CcxtExchangeClient
from services.tracking.candle_source import ExchangeCandleSource
from tests.fakes.exchange_api import FakeExchangeAPI

START = datetime(2026, 1, 1, tzinfo=UTC)


def rows(first: int, count: int) -> list[tuple[int, str, str, str, str, str]]:
    """Minute candles ``first`` .. ``first + count - 1`` after START, price = 100 + minute."""
    out = []
    for minute in range(first, first + count):
        at = int((START + timedelta(minutes=minute)).timestamp() * 1000)
        price = 100 + minute
        out.append((at, str(price), str(price + 0.5), str(price - 0.5), str(price), "1"))
    return out


async def test_paged_then_only_the_new_candles(
    exchange_api: FakeExchangeAPI, client: CcxtExchangeClient
) -> None:
    exchange_api.set_candles("BTC/USDT", rows(0, 2500))
    source = ExchangeCandleSource(client)
    now = START + timedelta(minutes=2500)
    arrays = await source.arrays("BTC", None, futures=False, now=now, since=START)
    assert arrays is not None and len(arrays) == 2500
    assert arrays.timeframe_s == 60 and arrays.symbol == "BTC/USDT"
    assert arrays.open[0] == 100 and arrays.close[-1] == 2599
    assert np.all(np.diff(arrays.times) == 60)
    assert exchange_api.count("GET", "/api/v3/klines") == 3  # 1000 + 1000 + 500

    exchange_api.set_candles("BTC/USDT", rows(0, 2510))
    later = await source.arrays(
        "BTC", None, futures=False, now=now + timedelta(minutes=10), since=START
    )
    assert later is not None and len(later) == 2510
    assert exchange_api.count("GET", "/api/v3/klines") == 4  # one request, from the last candle
    start = exchange_api.last("GET", "/api/v3/klines").params["startTime"]
    assert int(start) == int((START + timedelta(minutes=2499)).timestamp() * 1000)


async def test_a_pair_the_exchange_does_not_list_has_no_candles(
    client: CcxtExchangeClient,
) -> None:
    source = ExchangeCandleSource(client)
    assert await source.arrays("NOPE", None, futures=True, now=START, since=START) is None
