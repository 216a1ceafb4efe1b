"""Event isolation on Redis: one update at a time per chat and user, across processes.

aiogram's ``RedisEventIsolation`` takes a redis-py ``Lock`` per update: a new lock object, a
uuid1 token, and a waiter that polls Redis every 100 ms. This one keeps the same Redis protocol
(``SET NX PX`` to take, compare-and-delete to give back, the TTL as the bound on a dead holder)
with less work per update, and queues waiters from the same process on a local lock first:
the usual contention (a user sending two messages at once, both handled here) is resolved in
memory and the second update starts the moment the first ends, instead of on the next poll.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
import structlog
from aiogram.fsm.storage.base import BaseEventIsolation, KeyBuilder, StorageKey
from redis.exceptions import RedisError

from core.cache import Script

log = structlog.get_logger(__name__)

RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisIsolation(BaseEventIsolation):
    """``ttl_s`` bounds how long a dead holder blocks its chat (set it to the inbox lease: an
    update not finished by then is presumed dead and re-run, so its lock must be gone too)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        key_builder: KeyBuilder,
        ttl_s: float,
        poll_s: float = 0.05,
    ) -> None:
        self._redis = redis
        self._key_builder = key_builder
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._poll_s = poll_s
        self._release = Script(redis, RELEASE_LUA)
        self._local: dict[str, asyncio.Lock] = {}
        # Tokens only need to be unique among holders: this process, then a counter.
        self._token_prefix = f"{os.getpid()}:{secrets.token_hex(6)}:"
        self._counter = itertools.count()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self._key_builder.build(key, "lock")
        local = self._local.get(name)
        if local is None:
            local = self._local[name] = asyncio.Lock()
        try:
            async with local:
                token = f"{self._token_prefix}{next(self._counter)}"
                await self._take(name, token)
                try:
                    yield None
                finally:
                    await self._give_back(name, token)
        finally:
            idle = not local.locked() and not getattr(local, "_waiters", None)
            if idle and self._local.get(name) is local:
                del self._local[name]

    async def _take(self, name: str, token: str) -> None:
        """Another process holds the chat: wait for it (at most the TTL, when the lock of a
        dead holder expires on its own)."""
        # held by another process: there is nothing local to await, so poll
        while not await self._try_take(name, token):  # noqa: ASYNC110
            await asyncio.sleep(self._poll_s)

    async def _try_take(self, name: str, token: str) -> bool:
        return bool(
            await self._redis.execute_command("SET", name, token, "PX", self._ttl_ms, "NX")
        )

    async def _give_back(self, name: str, token: str) -> None:
        try:
            await self._release(name, token)
        except RedisError as exc:  # it expires by its TTL; the update itself is done
            log.warning("isolation_release_failed", error=type(exc).__name__)

    async def close(self) -> None:
        self._local.clear()
