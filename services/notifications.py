"""Notifications as outbox rows: the ``Notifier`` the services use to tell people things."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from services.text import split_message


class OutboxNotifier:
    """Writes one outbox row per Telegram-sized chunk; the sender in ``bot/`` delivers them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def notify(
        self,
        chat_id: int,
        html: str,
        *,
        dedupe_key: str | None = None,
        buttons: list[list[dict[str, Any]]] | None = None,
        user_id: int | None = None,
    ) -> int:
        async with self._db.transaction() as session:
            return await enqueue(
                OutboxRepository(session),
                chat_id,
                html,
                dedupe_key=dedupe_key,
                buttons=buttons,
                user_id=user_id,
            )


async def enqueue_to_admins(
    session: AsyncSession,
    html: str,
    *,
    dedupe_key: str,
    buttons: list[list[dict[str, Any]]] | None = None,
) -> int:
    """``enqueue`` for every admin who can be told (``<dedupe_key>:<admin id>`` each), in the
    caller's transaction; returns the messages queued."""
    outbox, queued = OutboxRepository(session), 0
    for admin in await UserRepository(session).active_admins():
        queued += await enqueue(
            outbox,
            admin.telegram_id,
            html,
            dedupe_key=f"{dedupe_key}:{admin.id}",
            buttons=buttons,
            user_id=admin.id,
        )
    return queued


async def enqueue(
    repo: OutboxRepository,
    chat_id: int,
    html: str,
    *,
    dedupe_key: str | None = None,
    buttons: list[list[dict[str, Any]]] | None = None,
    user_id: int | None = None,
) -> int:
    """Queue inside the caller's transaction (so the message exists iff the change does)."""
    chunks = split_message(html)
    queued = 0
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        key = (
            None if dedupe_key is None else (dedupe_key if index == 0 else f"{dedupe_key}#{index}")
        )
        markup = {"inline_keyboard": buttons} if buttons and last else None
        row_id = await repo.enqueue(
            chat_id, chunk, reply_markup=markup, dedupe_key=key, user_id=user_id
        )
        if row_id is None and index == 0:
            return 0  # seen before: the whole message was queued already
        queued += row_id is not None
    return queued
