"""Sources: channels whose posts are read. Registered when the bot is added to a channel (the
adder becomes the owner once Telegram confirms they administer it) or by a bot admin.

Telegram itself is reached through the ``ChatDirectory`` port (implemented over aiogram in the
handler layer), so this service stays framework-free.
"""

from __future__ import annotations

import re
from typing import Final, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import Cache
from core.db.models import Source
from core.db.repositories.audit import AuditRepository
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.sources import SourceRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import Role
from core.errors import Forbidden, NotFound, UserError
from services.dto import UserView
from services.notifications import enqueue
from services.signal_dto import ChatInfo, SourceView

log = structlog.get_logger(__name__)

ADMIN_STATUSES: Final = frozenset({"creator", "administrator"})
PRESENT_STATUSES: Final = frozenset({"creator", "administrator", "member"})
ADMIN_CACHE_TTL_S: Final = 300
SOURCE_CHAT_TYPES: Final = frozenset({"channel"})

_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_CHAT_ID = re.compile(r"-\d{5,16}")
_SOURCE_ID = re.compile(r"#?(\d{1,9})")


class ChatDirectory(Protocol):
    """What the services need to ask Telegram about chats."""

    async def chat(self, ref: int | str) -> ChatInfo | None:
        """The chat behind an id or ``@username``; None when Telegram does not know it."""
        ...

    async def member_status(self, chat_id: int, user_id: int) -> str | None:
        """``creator``, ``administrator``, ``member``...; None when it cannot be checked."""
        ...


class SourceMessages(Protocol):
    def source_registered(self, source: SourceView) -> str: ...


def parse_chat_ref(text: str) -> int | str:
    """``@name`` / ``name`` -> ``"@name"``; ``-100123...`` -> int. UserError otherwise."""
    raw = text.strip()
    if _CHAT_ID.fullmatch(raw):
        return int(raw)
    match = _USERNAME.fullmatch(raw)
    if match:
        return "@" + match.group(1)
    raise UserError("Name the channel as @username or by its id, e.g. -1001234567890.")


def to_source_view(
    source: Source, owner_telegram_id: int | None = None, counts: tuple[int, int] = (0, 0)
) -> SourceView:
    return SourceView(
        id=source.id,
        chat_id=source.chat_id,
        title=source.title,
        username=source.username,
        verified=source.verified,
        is_active=source.is_active,
        owner_telegram_id=owner_telegram_id,
        followers=counts[0],
        signals=counts[1],
    )


class SourceService:
    """Registration, lookup and the (cached) channel-admin check."""

    def __init__(
        self,
        db: Database,
        cache: Cache,
        messages: SourceMessages,
        *,
        admin_cache_ttl_s: int = ADMIN_CACHE_TTL_S,
    ) -> None:
        self._db = db
        self._cache = cache
        self._messages = messages
        self._admin_ttl = admin_cache_ttl_s

    async def on_bot_membership(
        self, actor: UserView | None, chat: ChatInfo, bot_status: str, chats: ChatDirectory
    ) -> SourceView | None:
        """The bot was added to (or removed from) a chat. A channel becomes a source; the user
        who added the bot owns it once Telegram says they are its creator or an administrator.
        Returns the source, or None when nothing was registered (not a channel, or removed)."""
        if chat.type not in SOURCE_CHAT_TYPES:
            log.info("bot_membership_ignored", chat_type=chat.type)
            return None
        if bot_status not in PRESENT_STATUSES:
            async with self._db.transaction() as session:
                source = await SourceRepository(session).by_chat_id(chat.chat_id)
                if source is not None and source.is_active:
                    source.is_active = False
                    await AuditRepository(session).add(
                        "source_deactivated",
                        actor_user_id=actor.id if actor else None,
                        target=str(chat.chat_id),
                        details={"bot_status": bot_status},
                    )
            log.info("source_deactivated", source_chat_id=chat.chat_id, bot_status=bot_status)
            return None
        actor_is_admin = False
        if actor is not None:
            status = await chats.member_status(chat.chat_id, actor.telegram_id)
            actor_is_admin = status in ADMIN_STATUSES
            if status is not None:
                await self._remember_admin(chat.chat_id, actor.telegram_id, actor_is_admin)
        async with self._db.transaction() as session:
            source = await SourceRepository(session).ensure(
                chat.chat_id, title=chat.title, username=chat.username
            )
            source.is_active = True
            became_owner = False
            if actor is not None and actor_is_admin and source.owner_user_id is None:
                source.owner_user_id = actor.id
                source.verified = True
                became_owner = True
            await AuditRepository(session).add(
                "source_registered",
                actor_user_id=actor.id if actor else None,
                target=str(chat.chat_id),
                details={"verified": source.verified, "owner": became_owner},
            )
            view = to_source_view(
                source, actor.telegram_id if became_owner and actor is not None else None
            )
            if became_owner and actor is not None:
                await enqueue(
                    OutboxRepository(session),
                    actor.telegram_id,
                    self._messages.source_registered(view),
                    dedupe_key=f"src-owner:{source.id}:{actor.id}",
                    user_id=actor.id,
                )
        log.info("source_registered", source_id=view.id, verified=view.verified)
        return view

    async def add(self, actor: UserView, ref_text: str, chats: ChatDirectory) -> SourceView:
        """``/source add``: a bot admin registers a channel by @username or id (verified)."""
        if actor.role is not Role.ADMIN:
            raise Forbidden()
        ref = parse_chat_ref(ref_text)
        chat = await chats.chat(ref)
        if chat is None:
            raise NotFound(
                "I cannot see that channel. Add the bot to it as an administrator first."
            )
        if chat.type not in SOURCE_CHAT_TYPES:
            raise UserError("That is not a channel; only channels can be signal sources.")
        async with self._db.transaction() as session:
            source = await SourceRepository(session).ensure(
                chat.chat_id, title=chat.title, username=chat.username
            )
            source.is_active = True
            source.verified = True
            await AuditRepository(session).add(
                "source_added", actor_user_id=actor.id, target=str(chat.chat_id)
            )
            return to_source_view(source)

    async def remove(self, actor: UserView, ref_text: str) -> SourceView:
        """``/source remove``: stop reading a channel (its signals and followers are kept)."""
        if actor.role is not Role.ADMIN:
            raise Forbidden()
        async with self._db.transaction() as session:
            source = await self._find(SourceRepository(session), ref_text)
            source.is_active = False
            await AuditRepository(session).add(
                "source_removed", actor_user_id=actor.id, target=str(source.chat_id)
            )
            return to_source_view(source)

    async def list_sources(self) -> list[SourceView]:
        async with self._db.session() as session:
            repo = SourceRepository(session)
            sources = await repo.list_all()
            counts = await repo.counts([s.id for s in sources])
            owners = await self._owner_ids(session, sources)
            return [to_source_view(s, owners.get(s.id), counts.get(s.id, (0, 0))) for s in sources]

    async def resolve(self, ref_text: str) -> SourceView:
        """A source by number (as /sources lists it), @username or channel id."""
        async with self._db.session() as session:
            return to_source_view(await self._find(SourceRepository(session), ref_text))

    async def active_by_chat(self, chat_id: int) -> SourceView | None:
        async with self._db.session() as session:
            source = await SourceRepository(session).by_chat_id(chat_id)
            if source is None or not source.is_active:
                return None
            owners = await self._owner_ids(session, [source])
            return to_source_view(source, owners.get(source.id))

    async def is_channel_admin(self, chat_id: int, telegram_id: int, chats: ChatDirectory) -> bool:
        """Is the user the creator or an administrator of the channel? Cached a few minutes."""
        key = f"chan-admin:{chat_id}:{telegram_id}"
        cached = await self._cache.get_json(key)
        if cached is not None:
            return bool(cached)
        status = await chats.member_status(chat_id, telegram_id)
        if status is None:
            return False  # could not check: not an admin, and do not remember it
        is_admin = status in ADMIN_STATUSES
        await self._remember_admin(chat_id, telegram_id, is_admin)
        return is_admin

    async def _remember_admin(self, chat_id: int, telegram_id: int, is_admin: bool) -> None:
        await self._cache.set_json(
            f"chan-admin:{chat_id}:{telegram_id}", is_admin, self._admin_ttl
        )

    @staticmethod
    async def _find(repo: SourceRepository, ref_text: str) -> Source:
        raw = ref_text.strip()
        if not raw:
            raise UserError("Name a source: its number from /sources, @username or channel id.")
        source: Source | None
        number = _SOURCE_ID.fullmatch(raw)
        if number:
            source = await repo.get(int(number.group(1)))
        else:
            ref = parse_chat_ref(raw)
            source = (
                await repo.by_chat_id(ref)
                if isinstance(ref, int)
                else await repo.by_username(ref[1:])
            )
        if source is None:
            raise NotFound("No such source. /sources lists the registered ones.")
        return source

    @staticmethod
    async def _owner_ids(session: AsyncSession, sources: list[Source]) -> dict[int, int]:
        users = UserRepository(session)
        owners: dict[int, int] = {}
        for source in sources:
            if source.owner_user_id is not None:
                owner = await users.get(source.owner_user_id)
                if owner is not None:
                    owners[source.id] = owner.telegram_id
        return owners
