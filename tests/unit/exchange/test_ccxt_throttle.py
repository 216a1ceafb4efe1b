"""ExactThrottler keeps ccxt's leaky bucket (costs, refill, capacity, order) but waits once per
request for exactly the time its tokens need (an injected clock: nothing here sleeps)."""

from __future__ import annotations

import asyncio

import ccxt.async_support as ccxt_async
import pytest

from services.exchange.ccxt_throttle import ExactThrottler, install


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


BINANCE = {"refillRate": 0.02, "capacity": 1, "tokens": 0, "cost": 1}  # ccxt's: 50 ms a token


@pytest.mark.parametrize(
    ("costs", "idle_ms", "sleeps"),
    [
        ([1], 0, []),  # a fresh bucket lets the first request go at once
        ([20, 1], 0, [1.0]),  # a balance read (20) makes the order wait 20 x 50 ms, once
        ([1, 1, 1], 0, [0.05, 0.05]),
        ([20, 1], 400, [0.95]),  # idle time fills the bucket up to its capacity (1) only
        ([1], 5000, []),
        ([None, None], 0, [0.05]),  # no cost given: the bucket's default cost
    ],
)
async def test_waits_once_for_exactly_what_the_bucket_needs(
    costs: list[float | None], idle_ms: float, sleeps: list[float]
) -> None:
    clock = Clock()
    throttle = ExactThrottler(dict(BINANCE), clock=clock, sleep=clock.sleep)
    clock.now += idle_ms / 1000
    for cost in costs:
        await throttle(cost)
    assert clock.sleeps == sleeps


async def test_a_key_bursts_one_second_then_keeps_its_rate() -> None:
    """What ``install`` gives Binance: 20 tokens (one second at 50 ms a token), full at first:
    a balance read (4) and its order (0.2) go at once; over time the rate is ccxt's."""
    clock = Clock()
    throttle = ExactThrottler(
        BINANCE | {"capacity": 20, "tokens": 20}, clock=clock, sleep=clock.sleep
    )
    await throttle(4)
    await throttle(0.2)
    assert clock.sleeps == []
    for _ in range(20):
        await throttle(1)
    # 15.8 tokens were left: 16 go at once, the 17th waits for its last 0.2, then 50 ms each
    assert clock.sleeps == [0.01, 0.05, 0.05, 0.05]
    clock.now += 60
    for cost in (20, 1, 1):  # refilled to the burst (20), never beyond it
        await throttle(cost)
    assert clock.sleeps == [0.01, 0.05, 0.05, 0.05, 0.05]


async def test_requests_start_in_the_order_they_asked() -> None:
    clock = Clock()
    throttle = ExactThrottler(dict(BINANCE), clock=clock, sleep=clock.sleep)
    started: list[int] = []

    async def request(n: int, cost: float) -> None:
        await throttle(cost)
        started.append(n)

    await asyncio.gather(*(request(n, 5 if n == 0 else 1) for n in range(4)))
    assert started == [0, 1, 2, 3]
    assert clock.sleeps == [0.25, 0.05, 0.05]


async def test_installed_on_ccxt_objects_with_their_own_bucket() -> None:
    exchange = ccxt_async.binance()
    try:
        install(exchange)
        assert isinstance(exchange.throttler, ExactThrottler)
        assert exchange.throttler.config["refillRate"] == exchange.tokenBucket["refillRate"]
        assert exchange.throttler.config["capacity"] == exchange.throttler.config["tokens"] == 20
        window = ccxt_async.binance({"rateLimiterAlgorithm": "rollingWindow"})
        kept = window.throttler
        window.tokenBucket = dict(window.tokenBucket, algorithm="rollingWindow")
        install(window)
        assert window.throttler is kept  # the rolling window stays ccxt's
        await window.close()
    finally:
        await exchange.close()
