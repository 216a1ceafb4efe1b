"""Wrong trading-PIN guesses, limited per user wherever a PIN is asked (/pin, order Confirm,
plain-language Confirm).

Invariants:
- at most ``MAX_WRONG`` wrong PINs per user in any ``WINDOW`` (15 minutes); the wrong PIN that
  reaches it locks PIN entry for ``WINDOW`` from then, and the user is told until when;
- while locked no PIN is even checked, the right one included, so a lock tells nothing;
- a right PIN does not wipe the wrong ones before it: typos age out of the window within 15
  minutes anyway, and a reset would hand fresh guesses to whoever shares the user's Telegram
  session (the person the PIN is there to stop) each time the owner types the right PIN;
- the record lives in the app's ``KeyValue`` cache (Redis when set, so every process sees the
  same count) and is read, checked and written under the user's named lock, so concurrent
  guesses are counted one by one and none slips past a lock another one just set;
- times come from the app's ``Clock`` (stored in the record), the cache TTL only cleans up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import structlog

from core.cache import Cache, Locks
from core.clock import Clock, utc_now
from core.errors import UserError
from core.security import verify_secret

log = structlog.get_logger(__name__)

MAX_WRONG: Final = 5
WINDOW: Final = timedelta(minutes=15)
_LOCK_TIMEOUT_S: Final = 10.0


class PinLocked(UserError):
    """Too many wrong PINs: PIN entry is refused until ``until``."""

    def __init__(self, until: datetime, now: datetime, *, just_now: bool = False) -> None:
        minutes = max(1, round((until - now).total_seconds() / 60))
        prefix = "That PIN is not right. " if just_now else ""
        super().__init__(
            f"{prefix}Too many PIN attempts: PIN entry is locked until "
            f"{until:%H:%M} UTC (in {minutes} min). Nothing was done."
        )
        self.until = until
        self.by_this_pin = just_now  # this wrong PIN set the lock


class WrongPin(UserError):
    """A wrong PIN below the limit; ``left`` more wrong PINs lock PIN entry."""

    def __init__(self, left: int) -> None:
        super().__init__(f"That PIN is not right. {left_text(left)}")
        self.left = left


def left_text(left: int) -> str:
    """How many wrong PINs the user has left, as a sentence."""
    tries = "wrong PIN" if left == 1 else "wrong PINs"
    minutes = int(WINDOW.total_seconds() // 60)
    return f"{left} more {tries} lock PIN entry for {minutes} minutes."


class PinAttempts:
    """The per-user wrong-PIN record and lock, shared by every PIN check."""

    def __init__(self, cache: Cache, locks: Locks, clock: Clock = utc_now) -> None:
        self._cache = cache
        self._locks = locks
        self._clock = clock

    async def verify(self, user_id: int, pin: str, pin_hash: str) -> None:
        """Pass when ``pin`` matches ``pin_hash``. Raises ``PinLocked`` while locked (nothing
        checked) or when this wrong PIN locks, ``WrongPin`` for a wrong PIN below the limit."""
        key = f"pin-wrong:{user_id}"
        async with self._locks.lock(key, timeout_s=_LOCK_TIMEOUT_S):
            now = self._clock()
            record = await self._cache.get_json(key) or {}
            locked_until = _time(record.get("locked_until"))
            if locked_until is not None and now < locked_until:
                raise PinLocked(locked_until, now)
            if await verify_secret(pin.strip(), pin_hash):
                return
            wrong = [t for t in map(_time, record.get("wrong", [])) if t and now - t < WINDOW]
            wrong.append(now)
            log.warning("pin_wrong", user_id=user_id, wrong_in_window=len(wrong))
            if len(wrong) >= MAX_WRONG:
                until = now + WINDOW
                await self._cache.set_json(key, {"locked_until": until.isoformat()}, _ttl(WINDOW))
                log.warning("pin_locked", user_id=user_id, until=until.isoformat())
                raise PinLocked(until, now, just_now=True)
            stored = {"wrong": [t.isoformat() for t in wrong]}
            await self._cache.set_json(key, stored, _ttl(WINDOW))
            raise WrongPin(MAX_WRONG - len(wrong))


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _ttl(window: timedelta) -> float:
    """Cache lifetime of a record: the window plus a margin (the stored times decide)."""
    return window.total_seconds() + 60
