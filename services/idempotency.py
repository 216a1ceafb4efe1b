"""Exactly-once for API writes that carry an ``Idempotency-Key`` (issue 12).

The first request with a key claims (user, key, action) with a row before it acts; the reply
it gives (success or a refusal the caller may see) is stored on that row, and every later
request with the same key gets the stored reply and acts not at all. A request arriving while
the first is still running gets ``Conflict``. An unexpected failure frees the claim, so the
caller may try again with the same key. Replies are kept for a day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from core.clock import Clock, utc_now
from core.db.repositories.api import IdempotentReplyRepository
from core.db.session import Database
from core.errors import Conflict, UserError

KEEP: Final = timedelta(days=1)
MAX_KEY: Final = 128


@dataclass(frozen=True, slots=True)
class StoredReply:
    status: int
    body: dict[str, Any]
    replayed: bool  # True: a stored reply given again, nothing was done


class Idempotency:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def once(
        self,
        user_id: int,
        key: str,
        action: str,
        run: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
        refusal: Callable[[UserError], tuple[int, dict[str, Any]]],
    ) -> StoredReply:
        """``run`` at most once per (user, ``key``, ``action``); its reply (or ``refusal`` of
        the ``UserError`` it raised) is stored and given to every repeat."""
        if not key or len(key) > MAX_KEY or not key.isprintable():
            raise UserError(f"An Idempotency-Key is 1 to {MAX_KEY} printable characters.")
        async with self._db.transaction() as session:
            repo = IdempotentReplyRepository(session)
            await repo.prune(self._clock() - KEEP)
            claimed = await repo.reserve(user_id, key, action, self._clock())
            if not claimed:
                row = await repo.get(user_id, key, action)
                if row is None or row.status == 0:
                    raise Conflict("A request with this Idempotency-Key is still running.")
                return StoredReply(row.status, dict(row.body), replayed=True)
        try:
            status, body = await run()
        except UserError as exc:
            status, body = refusal(exc)
        except BaseException:
            async with self._db.transaction() as session:
                await IdempotentReplyRepository(session).release(user_id, key, action)
            raise
        async with self._db.transaction() as session:
            row = await IdempotentReplyRepository(session).get(user_id, key, action)
            if row is not None:
                row.status, row.body = status, body
        return StoredReply(status, body, replayed=False)
