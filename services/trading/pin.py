"""The trading PIN in front of live orders: ``PinRequired`` when the user set a PIN and none was
given; each PIN is checked through the user's ``PinAttempts`` (5 wrong PINs in 15 minutes
lock PIN entry everywhere, see services/pin_attempts.py).

The PIN is read from the database on every check, never from a cached user view (it may have
just been set or removed). Wrong PINs are also counted on the plan's token:
``MAX_PIN_FAILURES`` of them cancel that plan, nothing is sent.
"""

from __future__ import annotations

from typing import Final

import structlog

from core.db.models import User
from core.db.repositories.tokens import TokenRepository
from core.db.session import Database
from core.errors import UserError
from services.pin_attempts import PinAttempts, PinLocked, WrongPin, left_text

log = structlog.get_logger(__name__)

MAX_PIN_FAILURES: Final = 3


class PinRequired(UserError):
    """The user has a trading PIN and the order is live: ask for it, then confirm again."""

    default_message = "Send your trading PIN to confirm this live order (or /cancel)."


class PinGuard:
    """Checks the PIN confirming the live order plan behind a token."""

    def __init__(self, db: Database, attempts: PinAttempts) -> None:
        self._db = db
        self._attempts = attempts

    async def check(self, user_id: int, token: str, pin: str | None) -> None:
        """Pass when the user has no PIN or ``pin`` is it. Raises ``PinRequired`` without a
        PIN, ``PinLocked`` after too many wrong PINs of the user (on any path), ``UserError``
        for a wrong one (the third on this plan cancels it)."""
        async with self._db.session() as session:
            db_user = await session.get(User, user_id)
        pin_hash = db_user.pin_hash if db_user is not None else None
        if pin_hash is None:
            return
        if pin is None or not pin.strip():
            raise PinRequired()
        try:
            await self._attempts.verify(user_id, pin, pin_hash)
        except PinLocked as locked:
            if locked.by_this_pin:  # a wrong PIN all the same: it counts on the plan too
                await self._count_failure(token)
            raise
        except WrongPin as wrong:
            failures = await self._count_failure(token)
            log.warning("trading_pin_wrong", user_id=user_id, failures=failures)
            if failures >= MAX_PIN_FAILURES:
                raise UserError(
                    "Wrong PIN three times: this order is cancelled; nothing was sent."
                ) from None
            raise UserError(
                f"Wrong PIN; nothing was sent. {left_text(wrong.left)} Press Confirm to try again."
            ) from None

    async def _count_failure(self, token: str) -> int:
        """One more wrong PIN on the plan; the last allowed one cancels it. Returns the count."""
        async with self._db.transaction() as session:
            row = await TokenRepository(session).get(token, lock=True)
            if row is None:
                return 0
            failures = int(row.payload.get("pin_failures", 0)) + 1
            row.payload = {**row.payload, "pin_failures": failures}
            if failures >= MAX_PIN_FAILURES and row.status == "pending":
                row.status = "cancelled"
            return failures
