"""ccxt's per-client request budget, waited for once instead of polled.

ccxt's own throttler (``ccxt.async_support.base.throttler.Throttler``) keeps a leaky bucket
per exchange object: a request goes when the bucket's tokens are at or above zero and takes
its cost from them; they refill at ``refillRate`` per millisecond up to ``capacity``. While a
request waits, ccxt's loop wakes every millisecond (``delay``) to look again. A signal's live
followers each wait on their own client (a balance read costs Binance 20 tokens, the order
after it waits about 200 ms): a thousand loops waking every millisecond cost more of the bot's
CPU than the requests themselves (measured: about 84 wake-ups and 5 ms of CPU per follower;
docs/PERFORMANCE.md "Signal to order").

``ExactThrottler`` keeps the same refill rate, the same costs and the same first-come order,
but a request that must wait sleeps once for exactly the time its tokens need. ``install``
also gives each key a burst of ``BURST_S`` of its own rate (ccxt's bucket holds one token):
a follower's balance read and the order sized from it go back to back instead of 200 ms
apart, while over any longer span a key still asks no faster than ccxt's rate. (The venue's
limits are per minute: Binance counts 6,000 weight a minute per IP and 50 orders per 10 s
per account; a one-second burst of one key is far inside both.)

Invariants: requests of one client start in the order they asked; a request never starts
while the bucket is below zero; the rolling-window algorithm some exchanges use is left to
ccxt (``install`` replaces only the leaky bucket).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

_MS = 1000.0
BURST_S = 1.0  # a key's burst: this long of its own rate (see the module)


class ExactThrottler:
    """A drop-in for ccxt's leaky-bucket ``Throttler`` (called with a request's cost)."""

    def __init__(
        self,
        config: dict[str, Any],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = {"refillRate": 1.0, "capacity": 1.0, "tokens": 0.0, "cost": 1.0} | config
        self.loop: asyncio.AbstractEventLoop | None = None  # ccxt sets it in open(); unused
        self._clock = clock
        self._sleep = sleep
        self._turn = asyncio.Lock()  # FIFO: the first to ask is the first served
        self._last = clock()

    async def __call__(self, cost: float | None = None) -> None:
        async with self._turn:
            self._refill()
            if self.config["tokens"] < 0:
                await self._sleep(-self.config["tokens"] / self.config["refillRate"] / _MS)
                self._refill()  # the wait was exact: what float rounding leaves under 0 is 0
                self.config["tokens"] = max(self.config["tokens"], 0.0)
            self.config["tokens"] -= self.config["cost"] if cost is None else cost

    def _refill(self) -> None:
        now = self._clock()
        elapsed_ms = (now - self._last) * _MS
        self._last = now
        tokens = self.config["tokens"] + elapsed_ms * self.config["refillRate"]
        self.config["tokens"] = min(tokens, self.config["capacity"])


def install(exchange: Any) -> None:
    """Gives a ccxt exchange object an ``ExactThrottler`` with its own bucket's rate and a
    burst of ``BURST_S`` (full at the start), when it uses the leaky bucket."""
    bucket = dict(exchange.tokenBucket or {})
    if bucket.get("algorithm", "leakyBucket") == "leakyBucket":
        burst = max(float(bucket.get("capacity", 1.0)), BURST_S * _MS * bucket["refillRate"])
        exchange.throttler = ExactThrottler(bucket | {"capacity": burst, "tokens": burst})
