"""Who may decide on a signal (track, ignore, edit), and in which statuses it is still open.

A private signal is its owner's alone. A tracked one is decided by a bot admin, the source's
owner, or the person who forwarded it. Someone else asking gets ``NotFound``, not
``Forbidden``: ids are not secrets, but other people's signals are none of the caller's
business.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Signal, Source
from core.db.repositories.signals import SignalRepository
from core.db.repositories.sources import SourceRepository
from core.domain import Role, SignalStatus
from core.errors import Conflict, NotFound
from services.dto import UserView
from services.sources import can_see

OPEN_FOR_EDIT: Final = frozenset({SignalStatus.PENDING, SignalStatus.HELD, SignalStatus.ACTIVE})
# Not (yet) live: followers have not been told about these.
AWAITING: Final = frozenset({SignalStatus.PENDING, SignalStatus.HELD, SignalStatus.IGNORED})


def may_manage(user: UserView, signal: Signal, source: Source | None) -> bool:
    """Whether ``user`` decides on ``signal`` (``source`` is its source row, if any)."""
    if not signal.is_tracked:
        return signal.owner_user_id == user.id
    if user.role is Role.ADMIN:
        return True
    if source is not None and source.owner_user_id == user.id:
        return True
    return signal.submitted_by_user_id == user.id


def may_read(user: UserView, signal: Signal, source: Source | None) -> bool:
    """Whether ``user`` may see ``signal`` (/signal, its chart): a live tracked signal of a
    source the user may see (a private source's only to those it is shown to), or one the
    user decides on."""
    if may_manage(user, signal, source):
        return True
    if not signal.is_tracked or signal.status in AWAITING:
        return False
    return source is None or can_see(source, user)


async def with_source(
    session: AsyncSession, signal_id: int, *, lock: bool = False
) -> tuple[Signal | None, Source | None]:
    """The signal (locked for update with ``lock``) and its source row, either may be None."""
    repo = SignalRepository(session)
    signal = await (repo.get_for_update(signal_id) if lock else repo.get(signal_id))
    source = (
        await SourceRepository(session).get(signal.source_id)
        if signal is not None and signal.source_id is not None
        else None
    )
    return signal, source


async def managed(
    session: AsyncSession, user: UserView, signal_id: int, *, lock: bool = False
) -> tuple[Signal, Source | None]:
    """The signal and its source if ``user`` may decide on it; NotFound otherwise."""
    signal, source = await with_source(session, signal_id, lock=lock)
    if signal is None or not may_manage(user, signal, source):
        raise NotFound("No such signal, or it is not yours to change.")
    return signal, source


def check_editable(signal: Signal) -> None:
    """Conflict unless the signal is pending, held or active."""
    if signal.status not in OPEN_FOR_EDIT:
        raise Conflict(f"This signal is {signal.status.value}; it can no longer be edited.")
