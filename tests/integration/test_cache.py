"""Cache, rate limiter and locks: the same behaviour in memory and on redis-server."""

from __future__ import annotations

import asyncio

from core.cache import KeyValue, MemoryCache, MemoryRateLimiter, RedisLocks


async def test_cache_round_trip_json(kv: KeyValue) -> None:
    await kv.cache.set_json("a", {"x": [1, "2"], "y": None}, ttl_s=60)
    assert await kv.cache.get_json("a") == {"x": [1, "2"], "y": None}
    await kv.cache.delete("a")
    assert await kv.cache.get_json("a") is None


async def test_add_is_set_if_absent(kv: KeyValue) -> None:
    assert await kv.cache.add_json("once", 1, ttl_s=60)
    assert not await kv.cache.add_json("once", 2, ttl_s=60)
    assert await kv.cache.get_json("once") == 1


async def test_cache_ttl_expires_in_memory() -> None:
    now = [100.0]
    cache = MemoryCache(clock=lambda: now[0])
    await cache.set_json("k", "v", ttl_s=5)
    now[0] += 4.9
    assert await cache.get_json("k") == "v"
    now[0] += 0.2
    assert await cache.get_json("k") is None


async def test_cache_ttl_expires_on_redis(redis_kv: KeyValue) -> None:
    await redis_kv.cache.set_json("k", "v", ttl_s=30)
    assert redis_kv.redis is not None
    ttl = await redis_kv.redis.pttl("tsbot:cache:k")
    assert 0 < ttl <= 30_000


async def test_gcra_allows_burst_then_refuses(kv: KeyValue) -> None:
    decisions = [await kv.limiter.hit("user:1", rate=1, burst=5) for _ in range(8)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 3
    assert 0 < decisions[-1].retry_after <= 1.0
    assert (await kv.limiter.hit("user:2", rate=1, burst=5)).allowed  # separate budget


async def test_gcra_is_atomic_under_concurrency(kv: KeyValue) -> None:
    decisions = await asyncio.gather(
        *(kv.limiter.hit("hot", rate=0.5, burst=10) for _ in range(50))
    )
    assert sum(d.allowed for d in decisions) == 10


async def test_gcra_refills_with_time() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    for _ in range(3):
        assert (await limiter.hit("k", rate=2, burst=3)).allowed
    refused = await limiter.hit("k", rate=2, burst=3)
    assert not refused.allowed
    now[0] += refused.retry_after
    assert (await limiter.hit("k", rate=2, burst=3)).allowed


async def test_lock_serialises_holders(kv: KeyValue) -> None:
    order: list[str] = []
    inside = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with kv.locks.lock("acct:1", timeout_s=5):
            order.append("first-in")
            inside.set()
            await release.wait()
            order.append("first-out")

    async def second() -> None:
        await inside.wait()
        async with kv.locks.lock("acct:1", timeout_s=5):
            order.append("second-in")

    task1, task2 = asyncio.create_task(first()), asyncio.create_task(second())
    await inside.wait()
    release.set()
    await asyncio.gather(task1, task2)
    assert order == ["first-in", "first-out", "second-in"]


async def test_health(kv: KeyValue) -> None:
    assert await kv.health()


async def test_rate_limiter_survives_redis_forgetting_its_script(redis_kv: KeyValue) -> None:
    assert redis_kv.redis is not None
    assert (await redis_kv.limiter.hit("u", rate=1, burst=2)).allowed
    await redis_kv.redis.script_flush()  # e.g. a Redis restart without persistence of scripts
    assert (await redis_kv.limiter.hit("u", rate=1, burst=2)).allowed
    assert not (await redis_kv.limiter.hit("u", rate=1, burst=2)).allowed


async def test_a_long_holder_keeps_its_lock_and_a_dead_one_frees_it(redis_kv: KeyValue) -> None:
    """The lease is renewed while the holder runs (a holder longer than the lease keeps the
    lock); a holder that died (its key left behind, nobody renewing) frees it within the
    lease, so a restarted process does not wait for the full wait time."""
    assert redis_kv.redis is not None
    locks = RedisLocks(redis_kv.redis, prefix="t:lock:", lease_s=0.3)
    loop = asyncio.get_running_loop()
    async with locks.lock("long", timeout_s=5):
        started = loop.time()
        renewed = 0
        last = await redis_kv.redis.pttl("t:lock:long")
        while renewed < 3:  # three renewals: held well past one lease
            ttl = await redis_kv.redis.pttl("t:lock:long")
            assert ttl > 0, "the lock expired while its holder ran"
            renewed += ttl > last
            last = ttl
            await asyncio.sleep(0.01)
        assert loop.time() - started > 0.3
    assert await redis_kv.redis.exists("t:lock:long") == 0  # released at the end

    await redis_kv.redis.set("t:lock:dead", "a-killed-process", px=300)  # nobody renews it
    started = loop.time()
    async with locks.lock("dead", timeout_s=5):
        assert loop.time() - started < 1.0
