"""The auto-pipelining Redis client on the real redis-server: concurrent commands share round
trips, yet each caller gets its own reply or its own error, as if sent alone; and redis-py still
has the seams the client is built on."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from core.cache import RedisLocks, RedisRateLimiter, redis_client
from core.redis_pipeline import AutoPipelineRedis
from tests.services import RedisServer

REDIS_PY = (
    f"redis-py {redis.__version__} no longer works as core.redis_pipeline.AutoPipelineRedis "
    "assumes: every command method goes through Redis.execute_command(*args, **options), "
    "Pipeline.pipeline_execute_command(*args, **options) queues one command with its options, "
    "and Pipeline.execute(raise_on_error=False) answers each command in its place, an error "
    "as that command's alone. The auto-pipeline overrides and calls these (its gain is in "
    "docs/PERFORMANCE.md): re-check it against redis/asyncio/client.py before moving the "
    "redis pin in pyproject.toml."
)


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


def _shape(method: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(method).parameters.values()]


def test_redis_py_keeps_the_methods_the_auto_pipeline_overrides_and_calls() -> None:
    any_command = [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("args", inspect.Parameter.VAR_POSITIONAL),
        ("options", inspect.Parameter.VAR_KEYWORD),
    ]
    assert _shape(aioredis.Redis.execute_command) == any_command, REDIS_PY
    assert _shape(Pipeline.pipeline_execute_command) == any_command, REDIS_PY
    assert inspect.iscoroutinefunction(aioredis.Redis.execute_command), REDIS_PY
    raise_on_error = inspect.signature(Pipeline.execute).parameters.get("raise_on_error")
    assert raise_on_error is not None and raise_on_error.default is True, REDIS_PY


async def test_concurrent_commands_share_one_round_trip(client: CountingRedis) -> None:
    await asyncio.gather(*(client.set(f"k{i}", i) for i in range(50)))
    values = await asyncio.gather(*(client.get(f"k{i}") for i in range(50)))

    assert values == [str(i).encode() for i in range(50)], REDIS_PY
    assert client.pipelines == [50, 50], REDIS_PY
    assert client.singles == 0, REDIS_PY


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

    assert results[0] == 1 and results[2] == 2, REDIS_PY
    assert isinstance(results[1], ResponseError), REDIS_PY
    assert client.pipelines == [3], REDIS_PY


async def test_response_callbacks_apply_per_command(client: CountingRedis) -> None:
    await client.hset("h", mapping={"a": "1"})
    exists, added, members, mapping = await asyncio.gather(
        client.exists("h"), client.sadd("s", "x", "y"), client.smembers("s"), client.hgetall("h")
    )
    assert (exists, added, members, mapping) == (1, 2, {b"x", b"y"}, {b"a": b"1"}), REDIS_PY


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
