"""A redis-py client that pipelines on its own: commands issued in the same event-loop turn
go to Redis in one round trip.

Every update costs a few Redis commands (rate limit, FSM state, the per-chat isolation lock)
and with dozens of updates in flight they are issued side by side. Sent one by one, each pays
a connection checkout, a write, a read and the client's bookkeeping; gathered into one
pipeline (the way ioredis' ``enableAutoPipelining`` does it) they share all of that.

Semantics stay those of single commands: the pipeline is not a transaction (Redis runs each
command on its own, in order), every caller gets its own reply or its own error, and a
connection error fails each waiting command just as it would have failed alone. Blocking
commands go out on their own connection, so they never hold up the others. Packing commands and
parsing replies stay redis-py's own (in C through hiredis, which ``redis[hiredis]`` installs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import redis.asyncio as aioredis

ItemT = TypeVar("ItemT")

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


class TurnBatcher(Generic[ItemT]):
    """Gathers what is submitted during one event-loop turn and sends it together.

    ``send`` gets the batch and returns one outcome per item, in order: a value, or an
    exception for that item alone. If ``send`` raises, every item of the batch gets the error.
    A caller that gave up (cancelled, timed out) is skipped; the others get their outcome."""

    def __init__(self, send: Callable[[list[ItemT]], Awaitable[Sequence[Any]]]) -> None:
        self._send = send
        self._queued: list[tuple[ItemT, asyncio.Future[Any]]] = []
        self._scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()

    async def submit(self, item: ItemT) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queued.append((item, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        """Runs once per loop turn that queued items: one task sends them all."""
        self._scheduled = False
        batch, self._queued = self._queued, []
        task = asyncio.ensure_future(self._deliver(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _deliver(self, batch: list[tuple[ItemT, asyncio.Future[Any]]]) -> None:
        try:
            outcomes = await self._send([item for item, _ in batch])
        except BaseException as exc:  # delivered to the callers, who await their futures
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def drain(self) -> None:
        """Wait for the batches already on their way."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)


_Command = tuple[tuple[Any, ...], dict[str, Any]]  # (args, options)


class AutoPipelineRedis(aioredis.Redis):
    """``redis.asyncio.Redis`` whose commands are batched per event-loop turn.

    It relies on redis-py sending every command method through ``execute_command(*args,
    **options)`` and on non-transactional pipelines (``pipeline_execute_command``,
    ``execute(raise_on_error=False)``) answering each command in its place; the redis pin in
    pyproject.toml is the range that was checked, and tests/integration/test_redis_pipeline.py
    fails first when an upgrade changes either."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batcher: TurnBatcher[_Command] = TurnBatcher(self._send)

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if _unbatched(args[0]):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]  # redis-py: unannotated
        return await self._batcher.submit((args, options))

    async def _send(self, batch: list[_Command]) -> Sequence[Any]:
        if len(batch) == 1:  # alone in its turn: sent as it is
            args, options = batch[0]
            return [await super().execute_command(*args, **options)]  # type: ignore[no-untyped-call]  # redis-py: unannotated
        pipe = self.pipeline(transaction=False)
        for args, options in batch:
            pipe.pipeline_execute_command(*args, **options)  # type: ignore[no-untyped-call]  # redis-py: unannotated
        # not a transaction: each command runs on its own; its error is its caller's alone
        return await pipe.execute(raise_on_error=False)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await self._batcher.drain()
        await super().aclose(close_connection_pool)
