"""The trading PIN in front of live orders: ``PinRequired`` when the user set a PIN and none was
given, wrong PINs counted on the plan's token.

The PIN is read from the database on every check, never from a cached user view (it may have
just been set or removed). ``MAX_PIN_FAILURES`` wrong PINs cancel the plan: nothing is sent.
"""

from __future__ import annotations

from typing import Final

import structlog

from core.db.models import User
from core.db.repositories.tokens import TokenRepository
from core.db.session import Database
from core.errors import UserError
from core.security import verify_secret

log = structlog.get_logger(__name__)

MAX_PIN_FAILURES: Final = 3


class PinRequired(UserError):
    """The user has a trading PIN and the order is live: ask for it, then confirm again."""

    default_message = "Send your trading PIN to confirm this live order (or /cancel)."


class PinGuard:
    """Checks the PIN confirming the live order plan behind a token."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def check(self, user_id: int, token: str, pin: str | None) -> None:
        """Pass when the user has no PIN or ``pin`` is it. Raises ``PinRequired`` without a
        PIN, ``UserError`` for a wrong one (the third cancels the plan)."""
        async with self._db.session() as session:
            db_user = await session.get(User, user_id)
        pin_hash = db_user.pin_hash if db_user is not None else None
        if pin_hash is None:
            return
        if pin is None or not pin.strip():
            raise PinRequired()
        if await verify_secret(pin.strip(), pin_hash):
            return
        failures = await self._count_failure(token)
        log.warning("trading_pin_wrong", user_id=user_id, failures=failures)
        if failures >= MAX_PIN_FAILURES:
            raise UserError("Wrong PIN three times: this order is cancelled; nothing was sent.")
        raise UserError("Wrong PIN; nothing was sent. Press Confirm to try again.")

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
