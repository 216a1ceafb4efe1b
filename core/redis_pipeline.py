"""A redis-py client that pipelines on its own: commands issued in the same event-loop turn
go to Redis in one round trip.

Every update costs a few Redis commands (rate limit, FSM state, the per-chat isolation lock)
and with dozens of updates in flight they are issued side by side. Sent one by one, each pays
a connection checkout, a write, a read and the client's bookkeeping; gathered into one
pipeline (the way ioredis' ``enableAutoPipelining`` does it) they share all of that.

Semantics stay those of single commands: the pipeline is not a transaction (Redis runs each
command on its own, in order), every caller gets its own reply or its own error, and a
connection error fails each waiting command just as it would have failed alone. Blocking
commands go out on their own connection, so they never hold up the others.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection

try:
    import hiredis
except ImportError:  # an optional speed-up of redis-py; without it, redis-py's packer
    hiredis = None

_PYTHON_PACK = AbstractConnection.pack_command

# Commands that may block the connection (or change its mode) are never pipelined.
UNBATCHED = frozenset(
    {
        "BLPOP",
        "BRPOP",
        "BRPOPLPUSH",
        "BLMOVE",
        "BLMPOP",
        "BZPOPMIN",
        "BZPOPMAX",
        "BZMPOP",
        "XREAD",
        "XREADGROUP",
        "WAIT",
        "WAITAOF",
        "SUBSCRIBE",
        "PSUBSCRIBE",
        "SSUBSCRIBE",
        "MONITOR",
        "WATCH",
        "MULTI",
        "EXEC",
        "DISCARD",
        "UNWATCH",
    }
)


def _unbatched(name: str | bytes) -> bool:
    if isinstance(name, str) and name.isupper():  # how redis-py names its commands
        return name in UNBATCHED
    text = name.decode() if isinstance(name, bytes) else name
    return text.partition(" ")[0].upper() in UNBATCHED


class HiredisPacking:
    """Connection mixin: commands packed by hiredis' C packer instead of redis-py's Python
    loop (byte-identical output, several times faster). Anything hiredis does not take
    (``None``, booleans) goes to redis-py's packer, which raises its usual ``DataError``."""

    def pack_command(self, *args: Any) -> list[bytes]:
        name = args[0]
        if (" " if isinstance(name, str) else b" ") in name:  # "SCRIPT LOAD": two words
            args = (*name.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            return super().pack_command(*args)  # type: ignore[misc, no-any-return]


@functools.cache
def with_hiredis_packing(connection_class: type) -> type:
    """``connection_class`` (plain, TLS or Unix socket) packing with hiredis."""
    return type(f"Hiredis{connection_class.__name__}", (HiredisPacking, connection_class), {})


_Queued = tuple[tuple[Any, ...], dict[str, Any], asyncio.Future[Any]]


class AutoPipelineRedis(aioredis.Redis):
    """``redis.asyncio.Redis`` whose commands are batched per event-loop turn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pool = self.connection_pool
        if hiredis is not None and pool.connection_class.pack_command is _PYTHON_PACK:
            pool.connection_class = with_hiredis_packing(pool.connection_class)
        self._queued: list[_Queued] = []
        self._flush_scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if _unbatched(args[0]):
            return await super().execute_command(*args, **options)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queued.append((args, options, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        """Runs once per loop turn that queued commands: one task sends them all."""
        self._flush_scheduled = False
        batch, self._queued = self._queued, []
        if len(batch) == 1:
            args, options, future = batch[0]
            task = asyncio.ensure_future(self._send_one(args, options, future))
        else:
            task = asyncio.ensure_future(self._send_many(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send_one(
        self, args: tuple[Any, ...], options: dict[str, Any], future: asyncio.Future[Any]
    ) -> None:
        try:
            result = await super().execute_command(*args, **options)
        except BaseException as exc:  # delivered to the caller, who awaits the future
            if not future.done():
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if not future.done():
            future.set_result(result)

    async def _send_many(self, batch: list[_Queued]) -> None:
        pipe = self.pipeline(transaction=False)
        for args, options, _ in batch:
            pipe.pipeline_execute_command(*args, **options)
        try:
            results = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # the whole round trip failed: every caller sees it
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller gave up (cancelled or timed out)
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await super().aclose(close_connection_pool)
