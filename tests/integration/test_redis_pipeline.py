"""The auto-pipelining Redis client on the real redis-server: concurrent commands share round
trips, yet each caller gets its own reply or its own error, as if sent alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, ResponseError

from core.cache import RedisLocks, RedisRateLimiter, redis_client
from core.redis_pipeline import AutoPipelineRedis, HiredisPacking, with_hiredis_packing
from tests.services import RedisServer

pytestmark = pytest.mark.redis


class CountingRedis(AutoPipelineRedis):
    """Counts what goes over the wire: pipelines (with their sizes) and single sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipelines: list[int] = []
        self.singles = 0

    async def _send(self, batch: Any) -> Any:
        if len(batch) == 1:
            self.singles += 1
        else:
            self.pipelines.append(len(batch))
        return await super()._send(batch)


@pytest.fixture
async def client(redis_srv: RedisServer) -> AsyncIterator[CountingRedis]:
    redis = CountingRedis.from_url(redis_srv.url())
    await redis.flushdb()
    redis.pipelines.clear()
    redis.singles = 0
    try:
        yield redis
    finally:
        await redis.flushdb()
        await redis.aclose()


def test_the_app_client_pipelines() -> None:
    assert isinstance(redis_client("redis://127.0.0.1:1/0"), AutoPipelineRedis)


async def test_concurrent_commands_share_one_round_trip(client: CountingRedis) -> None:
    await asyncio.gather(*(client.set(f"k{i}", i) for i in range(50)))
    values = await asyncio.gather(*(client.get(f"k{i}") for i in range(50)))

    assert values == [str(i).encode() for i in range(50)]
    assert client.pipelines == [50, 50]
    assert client.singles == 0


async def test_a_lone_command_is_sent_as_it_is(client: CountingRedis) -> None:
    await client.set("a", "1")
    assert await client.get("a") == b"1"
    assert client.pipelines == []


async def test_each_caller_gets_its_own_error(client: CountingRedis) -> None:
    await client.set("text", "not a number")
    results = await asyncio.gather(
        client.incr("counter"), client.incr("text"), client.incr("counter"),
        return_exceptions=True,
    )  # fmt: skip

    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], ResponseError)
    assert client.pipelines == [3]


async def test_response_callbacks_apply_per_command(client: CountingRedis) -> None:
    await client.hset("h", mapping={"a": "1"})
    exists, added, members, mapping = await asyncio.gather(
        client.exists("h"), client.sadd("s", "x", "y"), client.smembers("s"), client.hgetall("h")
    )
    assert (exists, added, members, mapping) == (1, 2, {b"x", b"y"}, {b"a": b"1"})


async def test_scripts_load_themselves_when_redis_forgot_them(client: CountingRedis) -> None:
    script = client.register_script("return tonumber(ARGV[1]) * 2")
    assert await asyncio.gather(*(script(args=[i]) for i in range(5))) == [0, 2, 4, 6, 8]
    await client.script_flush()
    # every caller meets NOSCRIPT in the same pipeline, loads the script, and gets its answer
    assert await asyncio.gather(*(script(args=[i]) for i in range(5))) == [0, 2, 4, 6, 8]


async def test_a_blocking_command_does_not_hold_up_the_rest(client: CountingRedis) -> None:
    waiter = asyncio.create_task(client.blpop(["queue"], timeout=5))
    await client.set("x", "1")
    assert await client.get("x") == b"1"  # answered while BLPOP still waits
    assert not waiter.done()
    await client.rpush("queue", "job")
    assert await waiter == (b"queue", b"job")


async def test_a_cancelled_caller_leaves_the_others_their_replies(client: CountingRedis) -> None:
    first = asyncio.create_task(client.set("a", "1"))
    second = asyncio.create_task(client.get("missing"))
    third = asyncio.create_task(client.set("b", "2"))
    await asyncio.sleep(0)  # all three queued, none sent
    second.cancel()
    assert await first is True and await third is True
    assert second.cancelled()
    assert await client.mget("a", "b") == [b"1", b"2"]


async def test_a_dead_server_fails_every_waiting_caller() -> None:
    redis = AutoPipelineRedis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    try:
        results = await asyncio.gather(
            redis.get("a"), redis.get("b"), redis.get("c"), return_exceptions=True
        )
        assert all(isinstance(r, RedisConnectionError) for r in results), results
    finally:
        await redis.aclose()


async def test_limiter_and_locks_work_through_the_pipeline(client: CountingRedis) -> None:
    limiter = RedisRateLimiter(client)
    decisions = await asyncio.gather(
        *(limiter.hit("user:1", rate=1, burst=5) for _ in range(8))
    )  # fmt: skip
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 3

    locks = RedisLocks(client)
    order: list[str] = []

    async def worker(name: str) -> None:
        async with locks.lock("shared", timeout_s=5):
            order.append(f"{name}+")
            await asyncio.sleep(0)
            order.append(f"{name}-")

    await asyncio.gather(worker("a"), worker("b"))
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])


@pytest.mark.parametrize(
    "args",
    [
        ("SET", "k", "v", "PX", 60_000, "NX"),
        ("EVALSHA", "abc", 1, "key", 16.666666666666668, 20, 1),
        ("SCRIPT LOAD", "return 1"),
        ("GET", "ключ"),
        ("SET", b"k", b"\x00\xff"),
        ("X", 1e-05, 1e20, -0.0, 0.1, -7),
    ],
)
def test_hiredis_packing_is_byte_identical(args: tuple[Any, ...]) -> None:
    fast = with_hiredis_packing(Connection)()
    assert b"".join(fast.pack_command(*args)) == b"".join(Connection().pack_command(*args))


def test_what_hiredis_cannot_pack_gets_redis_pys_error() -> None:
    with pytest.raises(DataError):
        with_hiredis_packing(Connection)().pack_command("SET", "k", True)


def test_app_connections_pack_with_hiredis() -> None:
    for url in ("redis://127.0.0.1:1/0", "rediss://127.0.0.1:1/0", "unix:///tmp/redis.sock"):
        assert issubclass(redis_client(url).connection_pool.connection_class, HiredisPacking)


async def test_one_loop_turn_of_rate_limit_hits_is_one_script_call(client: CountingRedis) -> None:
    limiter = RedisRateLimiter(client)
    decisions = await asyncio.gather(
        *(limiter.hit(f"user:{i % 3}", rate=1, burst=2) for i in range(9))
    )
    # three users, three hits each, a burst of two: the third hit of each is refused
    assert [d.allowed for d in decisions] == [True] * 6 + [False] * 3
    assert all(0 < d.retry_after <= 1 for d in decisions[6:])
    assert client.singles == 1 and client.pipelines == []  # one EVALSHA for all nine


async def test_a_failed_rate_limit_call_fails_every_waiting_hit() -> None:
    redis = AutoPipelineRedis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    limiter = RedisRateLimiter(redis)
    try:
        results = await asyncio.gather(
            limiter.hit("a", rate=1, burst=1), limiter.hit("b", rate=1, burst=1),
            return_exceptions=True,
        )  # fmt: skip
        assert all(isinstance(r, RedisConnectionError) for r in results), results
    finally:
        await redis.aclose()
