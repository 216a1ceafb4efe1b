"""``cached``: an async function's results kept in the project's cache (memory or Redis).

```python
self.balance = cached(
    kv.cache, ttl=60, key=lambda user_id, label: f"{user_id}:{label}",
    tags=lambda user_id, label: [f"holdings:{user_id}"], returns=BalanceView,
)(self._balance)
view = await self.balance(7, "main")          # computed once, then read from the cache
await self.balance.invalidate(7, "main")      # that one entry
await invalidate_tag(kv.cache, "holdings:7")  # every entry tagged so, in every process
```

Values are stored as JSON through pydantic's ``TypeAdapter(returns)``: dataclasses, enums,
datetimes and ``Decimal`` (as its exact string, so ``Decimal("1.10")`` comes back as
``Decimal("1.10")``) round-trip; never pickle. A stored value that no longer fits ``returns``
is a miss.

Tags are generations: each tag has a random token in the cache, part of every tagged entry's
key. ``invalidate_tag`` replaces the token, so the old entries are unreachable at once (and
expire by their TTL), a result computed while the tag was being invalidated is stored under
the old token (never served), and no key scan is needed, on Redis or in memory. A tag whose
token is gone gets a new one, never an old one back. Prefer tags when freshness after a change
matters: ``invalidate`` by key races with a computation already under way.

The cache is an accelerator, never a dependency: when it fails (Redis down), the function is
called directly and the failure logged; ``invalidate*`` log and do not raise.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final, Generic, ParamSpec, TypeVar

import structlog
from pydantic import TypeAdapter, ValidationError

from core.cache import Cache, RedisError

log = structlog.get_logger(__name__)

__all__ = ["Cached", "cached", "invalidate_tag"]

P = ParamSpec("P")
R = TypeVar("R")

TAG_TTL_S: Final = 30 * 86_400.0  # a tag's generation outlives every entry tagged with it
PREFIX: Final = "cached:"
CACHE_ERRORS: Final = (RedisError, OSError, TimeoutError)


def _tag_key(tag: str) -> str:
    return f"{PREFIX}tag:{tag}"


def _new_generation() -> str:
    return secrets.token_hex(6)


async def invalidate_tag(cache: Cache, tag: str) -> None:
    """Make every entry tagged ``tag`` unreachable (in every process sharing ``cache``)."""
    try:
        await cache.set_json(_tag_key(tag), _new_generation(), TAG_TTL_S)
    except CACHE_ERRORS as exc:
        log.warning("cache_invalidation_failed", tag=tag, error=type(exc).__name__)


class Cached(Generic[P, R]):
    """An async function with cached results; call it as the function. See the module doc."""

    def __init__(  # noqa: PLR0913 - the decorator's options, all keyword-only at ``cached``
        self,
        fn: Callable[P, Awaitable[R]],
        cache: Cache,
        *,
        ttl: float,
        key: Callable[P, str],
        returns: Any,
        namespace: str,
        tags: Callable[P, Iterable[str]] | None,
    ) -> None:
        self._fn = fn
        self._cache = cache
        self._ttl = ttl
        self._key = key
        self._adapter: TypeAdapter[Any] = TypeAdapter(returns)
        self._namespace = namespace
        self._tags = tags
        self.__doc__ = fn.__doc__

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            key = await self._full_key(*args, **kwargs)
            raw = await self._cache.get_json(key)
        except CACHE_ERRORS as exc:
            log.warning("cache_unavailable", namespace=self._namespace, error=type(exc).__name__)
            return await self._fn(*args, **kwargs)
        if raw is not None:
            try:
                value: R = self._adapter.validate_python(raw)
                return value
            except ValidationError:  # stored by an older shape of the value: recompute
                log.info("cache_entry_stale_shape", namespace=self._namespace)
        value = await self._fn(*args, **kwargs)
        try:
            await self._cache.set_json(
                key, self._adapter.dump_python(value, mode="json"), self._ttl
            )
        except CACHE_ERRORS as exc:
            log.warning("cache_unavailable", namespace=self._namespace, error=type(exc).__name__)
        return value

    async def invalidate(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Forget the entry these arguments map to (tagged entries: under the tags' current
        generations)."""
        try:
            await self._cache.delete(await self._full_key(*args, **kwargs))
        except CACHE_ERRORS as exc:
            log.warning(
                "cache_invalidation_failed", namespace=self._namespace, error=type(exc).__name__
            )

    async def invalidate_tag(self, tag: str) -> None:
        await invalidate_tag(self._cache, tag)

    async def _full_key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        key = f"{PREFIX}{self._namespace}:{self._key(*args, **kwargs)}"
        if self._tags is None:
            return key
        generations = [await self._generation(tag) for tag in self._tags(*args, **kwargs)]
        return f"{key}|{'.'.join(generations)}"

    async def _generation(self, tag: str) -> str:
        tag_key = _tag_key(tag)
        current = await self._cache.get_json(tag_key)
        if isinstance(current, str):
            return current
        fresh = _new_generation()
        if await self._cache.add_json(tag_key, fresh, TAG_TTL_S):
            return fresh
        current = await self._cache.get_json(tag_key)  # another process set it first
        return current if isinstance(current, str) else fresh


def cached(
    cache: Cache,
    *,
    ttl: float,
    key: Callable[P, str],
    returns: Any,
    namespace: str | None = None,
    tags: Callable[P, Iterable[str]] | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Cached[P, R]]:
    """Cache an async function's results in ``cache`` for ``ttl`` seconds.

    ``key`` maps the call's arguments to the entry's key (within ``namespace``, by default the
    function's qualified name); ``tags`` to the tags the entry carries; ``returns`` is the
    type the value is stored and read back as (``list[Balance]``). Raises ``ValueError`` for
    a TTL outside (0, 30 days]."""
    if not 0 < ttl <= TAG_TTL_S:
        raise ValueError(f"ttl must be above 0 and at most {TAG_TTL_S:.0f} s, not {ttl}")

    def decorate(fn: Callable[P, Awaitable[R]]) -> Cached[P, R]:
        name = namespace or getattr(fn, "__qualname__", None) or repr(fn)
        return Cached(fn, cache, ttl=ttl, key=key, returns=returns, namespace=name, tags=tags)

    return decorate
