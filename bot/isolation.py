"""Event isolation on Redis: one update at a time per chat and user, across processes.

aiogram's ``RedisEventIsolation`` takes a redis-py ``Lock`` per update: a new lock object, a
uuid1 token, and a waiter that polls Redis every 100 ms. This one keeps the same Redis protocol
(``SET NX PX`` to take, compare-and-delete to give back, the TTL as the bound on a dead holder)
with less work per update, and queues waiters from the same process on a local lock first:
the usual contention (a user sending two messages at once, both handled here) is resolved in
memory and the second update starts the moment the first ends, instead of on the next poll.

aiogram reads the FSM state right after taking the lock (it must not be read before). Taking
the lock here returns that state in the same round trip, and ``IsolatedRedisStorage`` answers
the read from it while the lock is held and the state unchanged.

That rests on aiogram internals: ``FSMContextMiddleware`` reading ``storage.get_state(key)``
inside ``events_isolation.lock(key)`` in the same task, and ``RedisStorage`` keeping the state
as a plain string under ``key_builder.build(key, "state")``. aiogram is pinned to the minor
this was checked on; tests/integration/test_isolation.py says what to re-check when that
changes (docs/PERFORMANCE.md has what this is worth over aiogram's ``RedisEventIsolation``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog
from aiogram.fsm.storage.base import BaseEventIsolation, KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.exceptions import RedisError

from core.cache import Script

log = structlog.get_logger(__name__)

# Take the lock; when taken, also return the chat's FSM state (read under the lock).
ACQUIRE_LUA = """
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  local state = redis.call('GET', KEYS[2])
  if state then
    return {1, state}
  end
  return {1}
end
return {0}
"""

RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(slots=True)
class _HeldState:
    """The state read with a chat's lock. Shared by reference with any task the handler
    starts (tasks copy the context), so ending it here ends it there too."""

    key: StorageKey
    state: str | None
    valid: bool = True


_held_state: ContextVar[_HeldState | None] = ContextVar("tsbot_isolated_state", default=None)


class IsolatedRedisStorage(RedisStorage):
    """aiogram's Redis FSM storage that takes the state read with the chat's lock, if any."""

    async def get_state(self, key: StorageKey) -> str | None:
        held = _held_state.get()
        if held is not None and held.valid and held.key == key:
            return held.state
        return await super().get_state(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        held = _held_state.get()
        if held is not None and held.key == key:
            held.valid = False  # changed: read it from Redis from now on
        await super().set_state(key, state)


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
        self._key_builder = key_builder
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._poll_s = poll_s
        self._acquire = Script(redis, ACQUIRE_LUA, keys=2)
        self._release = Script(redis, RELEASE_LUA)
        self._local: dict[str, asyncio.Lock] = {}
        self._names: dict[StorageKey, tuple[str, str]] = {}  # Redis key names, built once
        # Tokens only need to be unique among holders: this process, then a counter.
        self._token_prefix = f"{os.getpid()}:{secrets.token_hex(6)}:"
        self._counter = itertools.count()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        names = self._names.get(key)
        if names is None:
            if len(self._names) >= 10_000:
                self._names.clear()
            names = (self._key_builder.build(key, "lock"), self._key_builder.build(key, "state"))
            self._names[key] = names
        name, state_key = names
        local = self._local.get(name)
        if local is None:
            local = self._local[name] = asyncio.Lock()
        try:
            async with local:
                token = f"{self._token_prefix}{next(self._counter)}"
                state = await self._take(name, state_key, token)
                held = _HeldState(key, state)
                previous = _held_state.set(held)
                try:
                    yield None
                finally:
                    held.valid = False  # the lock is given back: the state may change now
                    _held_state.reset(previous)
                    await self._give_back(name, token)
        finally:
            idle = not local.locked() and not getattr(local, "_waiters", None)
            if idle and self._local.get(name) is local:
                del self._local[name]

    async def _take(self, name: str, state_key: str, token: str) -> str | None:
        """Take the lock and return the chat's state. Another process holds the chat: wait
        for it (at most the TTL, when the lock of a dead holder expires on its own)."""
        # held by another process: there is nothing local to await, so poll
        while not (taken := await self._try_take(name, state_key, token)):  # noqa: ASYNC110
            await asyncio.sleep(self._poll_s)
        state = taken[1] if len(taken) > 1 else None
        return state.decode() if isinstance(state, bytes) else state

    async def _try_take(self, name: str, state_key: str, token: str) -> list[Any] | None:
        reply = await self._acquire(name, state_key, token, self._ttl_ms)
        return reply if reply[0] == 1 else None

    async def _give_back(self, name: str, token: str) -> None:
        try:
            await self._release(name, token)
        except RedisError as exc:  # it expires by its TTL; the update itself is done
            log.warning("isolation_release_failed", error=type(exc).__name__)

    async def close(self) -> None:
        self._local.clear()
