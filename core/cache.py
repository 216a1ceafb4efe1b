"""Redis layer with in-memory equivalents behind the same interface.

``KeyValue.from_url(url)`` gives Redis-backed cache, rate limiter and locks when a URL is set,
and process-local ones when it is not (the embedded default). Values are JSON, never pickle.
The rate limiter is GCRA (one key per subject holding its theoretical arrival time): on Redis it
runs as one Lua script, so concurrent processes share the budget atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
from redis.exceptions import LockError, NoScriptError
from redis.exceptions import RedisError as _RedisError

from core.errors import ServiceUnavailable
from core.redis_pipeline import AutoPipelineRedis, TurnBatcher

RedisError = _RedisError

# GCRA for a batch of subjects (KEYS[i], with ARGV[3i-2..3i] = emission ms, burst, cost): one
# script call per event-loop turn serves every update that asked in it. Subjects are taken in
# order, so the same key twice in a batch is charged twice, as two calls would be.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local emission = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local new_tat = tat + emission * cost
  local allow_at = new_tat - emission * burst
  if now < allow_at then
    out[2 * i - 1] = 0
    out[2 * i] = allow_at - now
  else
    redis.call('SET', key, new_tat, 'PX', math.ceil(new_tat - now) + 1)
    out[2 * i - 1] = 1
    out[2 * i] = 0
  end
end
return out
"""


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after: float  # seconds until the next hit would be allowed (0 when allowed)


class Cache(Protocol):
    async def get_json(self, key: str) -> Any | None: ...
    async def set_json(self, key: str, value: Any, ttl_s: float) -> None: ...
    async def add_json(self, key: str, value: Any, ttl_s: float) -> bool:
        """Set only if absent; True when this call set it."""
        ...

    async def delete(self, key: str) -> None: ...


class RateLimiter(Protocol):
    async def hit(self, key: str, *, rate: float, burst: int, cost: int = 1) -> RateDecision:
        """Take ``cost`` from the budget of ``key``: ``rate`` per second, bursts of ``burst``."""
        ...


class Locks(Protocol):
    def lock(self, name: str, timeout_s: float = 30) -> Any:
        """An async context manager holding a named lock."""
        ...


# --- memory ------------------------------------------------------------------------------


class MemoryCache:
    """Process-local TTL cache, bounded (least recently used entries go first)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = 50_000):
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._clock = clock
        self._max = max_entries

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return item[1]

    async def get_json(self, key: str) -> Any | None:
        raw = self._live(key)
        return None if raw is None else json.loads(raw)

    async def set_json(self, key: str, value: Any, ttl_s: float) -> None:
        self._data[key] = (self._clock() + ttl_s, json.dumps(value))
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    async def add_json(self, key: str, value: Any, ttl_s: float) -> bool:
        if self._live(key) is not None:
            return False
        await self.set_json(key, value, ttl_s)
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)


class MemoryRateLimiter:
    """GCRA in process memory; same semantics as the Redis script."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._tat: dict[str, float] = {}
        self._clock = clock

    async def hit(self, key: str, *, rate: float, burst: int, cost: int = 1) -> RateDecision:
        now = self._clock()
        emission = 1.0 / rate
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + emission * cost
        allow_at = new_tat - emission * burst
        if now < allow_at:
            return RateDecision(False, allow_at - now)
        self._tat[key] = new_tat
        if len(self._tat) > 100_000:  # forget subjects whose budget is full again
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return RateDecision(True, 0.0)


class MemoryLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def lock(self, name: str, timeout_s: float = 30) -> AsyncIterator[None]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), timeout_s)
        except TimeoutError:
            raise ServiceUnavailable(f"Busy: could not take lock {name!r}") from None
        try:
            yield
        finally:
            lock.release()
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(name, None)


# --- redis -------------------------------------------------------------------------------


class RedisCache:
    def __init__(self, client: aioredis.Redis, prefix: str = "tsbot:cache:") -> None:
        self._r = client
        self._prefix = prefix

    async def get_json(self, key: str) -> Any | None:
        raw = await self._r.get(self._prefix + key)
        return None if raw is None else json.loads(raw)

    async def set_json(self, key: str, value: Any, ttl_s: float) -> None:
        await self._r.set(self._prefix + key, json.dumps(value), px=max(1, int(ttl_s * 1000)))

    async def add_json(self, key: str, value: Any, ttl_s: float) -> bool:
        done = await self._r.set(
            self._prefix + key, json.dumps(value), px=max(1, int(ttl_s * 1000)), nx=True
        )
        return bool(done)

    async def delete(self, key: str) -> None:
        await self._r.delete(self._prefix + key)


class RedisRateLimiter:
    """GCRA on Redis; the hits of one event-loop turn go to Redis as one script call."""

    def __init__(self, client: aioredis.Redis, prefix: str = "tsbot:rl:") -> None:
        self._prefix = prefix
        self._script = Script(client, GCRA_LUA)
        self._batcher: TurnBatcher[tuple[str, float, int, int]] = TurnBatcher(self._send)

    async def hit(self, key: str, *, rate: float, burst: int, cost: int = 1) -> RateDecision:
        hit = (self._prefix + key, 1000.0 / rate, burst, cost)
        allowed, wait_ms = await self._batcher.submit(hit)
        return RateDecision(bool(allowed), float(wait_ms) / 1000.0)

    async def _send(self, batch: list[tuple[str, float, int, int]]) -> list[tuple[int, int]]:
        keys = [key for key, *_ in batch]
        args = [value for _, *params in batch for value in params]
        reply = await self._script.run(keys, args)
        return [(reply[2 * i], reply[2 * i + 1]) for i in range(len(batch))]


class Script:
    """A Lua script run by its SHA (loaded on first use, and again if Redis forgot it): its
    first ``keys`` arguments are keys, the rest plain arguments; none of redis-py's per-call
    script bookkeeping on the hot path."""

    def __init__(self, client: aioredis.Redis, source: str, keys: int = 1) -> None:
        # redis-py leaves execute_command unannotated; this is the shape it has
        self._execute = cast(Callable[..., Awaitable[Any]], client.execute_command)
        self._source = source
        self._keys = keys
        self._sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis' script id

    async def __call__(self, *keys_and_args: Any) -> Any:
        return await self._evalsha(self._keys, keys_and_args)

    async def run(self, keys: list[str], args: list[Any]) -> Any:
        """Run with any number of keys."""
        return await self._evalsha(len(keys), (*keys, *args))

    async def _evalsha(self, numkeys: int, keys_and_args: tuple[Any, ...]) -> Any:
        try:
            return await self._execute("EVALSHA", self._sha, numkeys, *keys_and_args)
        except NoScriptError:
            await self._execute("SCRIPT LOAD", self._source)
            return await self._execute("EVALSHA", self._sha, numkeys, *keys_and_args)


class RedisLocks:
    """Named locks shared by every process. ``timeout_s`` is how long to wait for the lock;
    a lock held is leased for ``lease_s``, and one renewer task (running while any lock is
    held) renews every held lock each third of the lease. So a long holder keeps its lock and
    a killed one frees it within ``lease_s``, whatever the wait was, at no cost per lock."""

    def __init__(
        self, client: aioredis.Redis, prefix: str = "tsbot:lock:", lease_s: float = 10.0
    ) -> None:
        self._r = client
        self._prefix = prefix
        self._lease_s = lease_s
        self._held: dict[int, Any] = {}
        self._renewer: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def lock(self, name: str, timeout_s: float = 30) -> AsyncIterator[None]:
        lock = self._r.lock(self._prefix + name, timeout=self._lease_s, blocking_timeout=timeout_s)
        if not await lock.acquire():
            raise ServiceUnavailable(f"Busy: could not take lock {name!r}")
        self._held[id(lock)] = lock
        renewer = self._renewer
        if (
            renewer is None
            or renewer.done()
            or renewer.get_loop() is not asyncio.get_running_loop()
        ):
            self._renewer = asyncio.create_task(self._renew_held(), name="lock-renewal")
        try:
            yield
        finally:
            self._held.pop(id(lock), None)
            try:
                await lock.release()
            except LockError:
                pass  # expired while held (renewal failed): nothing left to release

    async def _renew_held(self) -> None:
        """Renew every held lock each third of the lease; ends when none is held."""
        while self._held:
            await asyncio.sleep(self._lease_s / 3)
            for key, lock in list(self._held.items()):
                try:
                    await lock.reacquire()
                except (LockError, _RedisError):
                    self._held.pop(key, None)  # lost: its holder finishes, release is a no-op

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer


# --- bundle ------------------------------------------------------------------------------


class KeyValue:
    """Cache + rate limiter + locks, on Redis or in memory."""

    def __init__(
        self,
        cache: Cache,
        limiter: RateLimiter,
        locks: Locks,
        client: aioredis.Redis | None = None,
    ) -> None:
        self.cache = cache
        self.limiter = limiter
        self.locks = locks
        self.redis = client

    @classmethod
    def memory(cls, clock: Callable[[], float] = time.monotonic) -> KeyValue:
        return cls(MemoryCache(clock), MemoryRateLimiter(clock), MemoryLocks())

    @classmethod
    def from_url(cls, url: str | None, *, lock_lease_s: float = 10.0) -> KeyValue:
        if not url:
            return cls.memory()
        client = redis_client(url)
        locks = RedisLocks(client, lease_s=lock_lease_s)
        return cls(RedisCache(client), RedisRateLimiter(client), locks, client)

    @property
    def is_redis(self) -> bool:
        return self.redis is not None

    async def check_reachable(self) -> None:
        if self.redis is None:
            return
        try:
            await self.redis.ping()
        except (RedisError, OSError) as exc:
            kwargs = self.redis.connection_pool.connection_kwargs
            where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
            raise ServiceUnavailable(f"Redis unreachable at {where}: {exc}") from None

    async def health(self) -> bool:
        if self.redis is None:
            return True
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        if isinstance(self.locks, RedisLocks):
            await self.locks.aclose()
        if self.redis is not None:
            await self.redis.aclose()


def redis_client(url: str) -> aioredis.Redis:
    """The app's Redis client: pipelines the commands of concurrent updates together."""
    return AutoPipelineRedis.from_url(
        url, socket_connect_timeout=3, socket_timeout=5, health_check_interval=30
    )


def ceil_seconds(value: float) -> int:
    return max(1, math.ceil(value))
