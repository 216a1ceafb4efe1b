"""The ``cached`` decorator on the in-memory cache and on the real redis-server: hits, expiry,
invalidation by key and by tag (shared between processes), exact JSON round trips, and a cache
that fails never failing the call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from structlog.testing import capture_logs

from core.cache import KeyValue, MemoryCache, RedisCache
from core.cached import cached, invalidate_tag


class Kind(StrEnum):
    SPOT = "spot"


@dataclass(frozen=True, slots=True)
class Holding:
    asset: str
    free: Decimal
    kind: Kind
    at: datetime


class Counter:
    """An async function that counts its calls and returns what it is told."""

    def __init__(self, value: Any = None) -> None:
        self.calls = 0
        self.value = value

    async def __call__(self, user_id: int, label: str = "main") -> Any:
        self.calls += 1
        return self.value if self.value is not None else f"{user_id}:{label}:{self.calls}"


async def test_a_hit_is_not_recomputed(kv: KeyValue) -> None:
    fn = Counter()
    wrapped = cached(
        kv.cache, ttl=60, key=lambda user_id, label="main": f"{user_id}:{label}", returns=str
    )(fn)
    assert await wrapped(1) == "1:main:1"
    assert await wrapped(1) == "1:main:1"
    assert await wrapped(1, label="other") == "1:other:2"
    assert await wrapped(2) == "2:main:3"
    assert fn.calls == 3


async def test_values_round_trip_exactly(kv: KeyValue) -> None:
    """Decimals keep every digit and their exponent; dataclasses, enums, datetimes and int
    dict keys come back as they went in."""
    value = {
        7: [
            Holding(
                "BTC", Decimal("0.10000000"), Kind.SPOT, datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
            ),
            Holding(
                "USDT",
                Decimal("12345678901234567890.123456789"),
                Kind.SPOT,
                datetime(2026, 1, 2, tzinfo=UTC),
            ),
        ]
    }
    fn = Counter(value)
    wrapped = cached(
        kv.cache,
        ttl=60,
        key=lambda user_id, label="main": str(user_id),
        returns=dict[int, list[Holding]],
    )(fn)
    await wrapped(1)
    again = await wrapped(1)
    assert fn.calls == 1
    assert again == value
    assert str(again[7][0].free) == "0.10000000"
    assert isinstance(again[7][1].free, Decimal) and isinstance(again[7][0].kind, Kind)


async def test_expiry_follows_the_clock() -> None:
    now = [1000.0]
    fn = Counter()
    wrapped = cached(
        MemoryCache(lambda: now[0]), ttl=60, key=lambda user_id, label="": "k", returns=str
    )(fn)
    await wrapped(1)
    now[0] += 59
    await wrapped(1)
    assert fn.calls == 1
    now[0] += 2
    await wrapped(1)
    assert fn.calls == 2


async def test_expiry_on_redis(redis_kv: KeyValue) -> None:
    fn = Counter()
    wrapped = cached(redis_kv.cache, ttl=0.2, key=lambda user_id, label="": "k", returns=str)(fn)
    await wrapped(1)
    await wrapped(1)
    assert fn.calls == 1
    cache = redis_kv.cache
    assert isinstance(cache, RedisCache)
    client = cache._r  # Redis expires the entry by itself: check the TTL it was given
    keys = [key async for key in client.scan_iter("*")]
    ttls = [await client.pttl(key) for key in keys]
    assert keys and all(0 < ttl <= 200 for ttl in ttls), ttls
    await client.delete(*keys)  # what Redis does at the end of the TTL
    await wrapped(1)
    assert fn.calls == 2


async def test_invalidate_by_key(kv: KeyValue) -> None:
    fn = Counter()
    wrapped = cached(
        kv.cache, ttl=60, key=lambda user_id, label="main": str(user_id), returns=str
    )(fn)
    await wrapped(1)
    await wrapped(2)
    await wrapped.invalidate(1)
    await wrapped(1)
    await wrapped(2)
    assert fn.calls == 3


async def test_invalidate_by_tag_reaches_every_entry_and_every_process(kv: KeyValue) -> None:
    """Two decorated functions (think: two processes on one Redis) sharing a tag: one
    invalidation makes both recompute; entries under other tags stay."""
    first, second = Counter(), Counter()

    def tags(user_id: int, label: str = "main") -> list[str]:
        return [f"holdings:{user_id}"]

    def key(user_id: int, label: str = "main") -> str:
        return f"{user_id}:{label}"

    a = cached(kv.cache, ttl=60, key=key, tags=tags, returns=str, namespace="a")(first)
    b = cached(kv.cache, ttl=60, key=key, tags=tags, returns=str, namespace="b")(second)
    for fn in (a, b):
        await fn(1)
        await fn(2)
    await invalidate_tag(kv.cache, "holdings:1")
    for fn in (a, b):
        await fn(1)
        await fn(2)
    assert (first.calls, second.calls) == (3, 3)
    await a.invalidate_tag("holdings:2")
    await a(2)
    assert first.calls == 4


async def test_a_computation_racing_an_invalidation_is_never_served(kv: KeyValue) -> None:
    """The value computed while the tag was invalidated is stored under the old generation."""
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def slow(user_id: int) -> int:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return calls

    def tags(user_id: int) -> list[str]:
        return ["t"]

    wrapped = cached(kv.cache, ttl=60, key=str, tags=tags, returns=int)(slow)
    racing = asyncio.create_task(wrapped(1))
    await started.wait()
    await invalidate_tag(kv.cache, "t")
    release.set()
    assert await racing == 1
    assert await wrapped(1) == 2


async def test_a_lost_tag_gets_a_new_generation(kv: KeyValue) -> None:
    fn = Counter()
    wrapped = cached(
        kv.cache,
        ttl=60,
        key=lambda user_id, label="": "k",
        tags=lambda user_id, label="": ["t"],
        returns=str,
    )(fn)
    await wrapped(1)
    await kv.cache.delete("cached:tag:t")  # evicted (memory LRU) or expired
    await wrapped(1)
    assert fn.calls == 2


async def test_a_stored_value_of_another_shape_is_a_miss(kv: KeyValue) -> None:
    fn = Counter(Holding("BTC", Decimal(1), Kind.SPOT, datetime(2026, 1, 1, tzinfo=UTC)))
    wrapped = cached(
        kv.cache, ttl=60, key=lambda user_id, label="": "k", returns=Holding, namespace="n"
    )(fn)
    await kv.cache.set_json("cached:n:k", {"old": "shape"}, 60)
    assert (await wrapped(1)).asset == "BTC"
    await wrapped(1)
    assert fn.calls == 1


class BrokenCache:
    """A cache whose server is gone."""

    async def get_json(self, key: str) -> Any:
        raise RedisConnectionError("gone")

    async def set_json(self, key: str, value: Any, ttl_s: float) -> None:
        raise RedisConnectionError("gone")

    async def add_json(self, key: str, value: Any, ttl_s: float) -> bool:
        raise RedisConnectionError("gone")

    async def delete(self, key: str) -> None:
        raise RedisConnectionError("gone")


async def test_a_failing_cache_calls_through() -> None:
    fn = Counter()
    wrapped = cached(
        BrokenCache(),
        ttl=60,
        key=lambda user_id, label="": "k",
        tags=lambda user_id, label="": ["t"],
        returns=str,
    )(fn)
    with capture_logs() as logs:
        assert await wrapped(1) == "1:main:1"
        assert await wrapped(1) == "1:main:2"
        await wrapped.invalidate(1)
        await invalidate_tag(BrokenCache(), "t")
    events = [entry["event"] for entry in logs]
    assert events.count("cache_unavailable") == 2
    assert events.count("cache_invalidation_failed") == 2


@pytest.mark.parametrize("ttl", [0, -1, 31 * 86_400])
def test_ttl_out_of_range_is_refused(ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        cached(MemoryCache(), ttl=ttl, key=str, returns=str)
