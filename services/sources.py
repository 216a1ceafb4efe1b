"""Sources: channels whose posts are read. Registered when the bot is added to a channel (the
adder becomes the owner once Telegram confirms they administer it) or by a bot admin.

Visibility (README "Who may do what"): a source registered by a bot admin is approved at once;
one registered by anyone else is seen (listed, followed, scored) only by admins, its owner and
the users the owner invites, until an admin approves it. ``verified`` means only that the
owner was checked, with Telegram, to be an administrator of the channel.

Telegram itself is reached through the ``ChatDirectory`` port (implemented over aiogram in the
handler layer), so this service stays framework-free.
"""

from __future__ import annotations

import re
from typing import Any, Final, Protocol

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import Cache
from core.db.models import Source, User
from core.db.repositories.audit import AuditRepository
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.sources import SourceRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import Role
from core.errors import Forbidden, NotFound, UserError
from services.dto import UserView
from services.notifications import enqueue, enqueue_to_admins
from services.signal_dto import ChatInfo, SourceView
from services.users import to_view

log = structlog.get_logger(__name__)

ADMIN_STATUSES: Final = frozenset({"creator", "administrator"})
PRESENT_STATUSES: Final = frozenset({"creator", "administrator", "member"})
ADMIN_CACHE_TTL_S: Final = 300
SOURCE_CHAT_TYPES: Final = frozenset({"channel"})
MAX_INVITEES: Final = 200

_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_CHAT_ID = re.compile(r"-\d{5,16}")
_SOURCE_ID = re.compile(r"#?(\d{1,9})")
_TELEGRAM_ID = re.compile(r"\d{1,16}")
NO_SUCH_SOURCE: Final = "No such source. /sources lists the registered ones."


async def _user_by_ref(session: AsyncSession, who: str) -> User:
    """A known user by @username or Telegram id; NotFound (they must write to the bot first)."""
    raw = who.strip()
    stmt = select(User)
    if _TELEGRAM_ID.fullmatch(raw):
        stmt = stmt.where(User.telegram_id == int(raw))
    elif match := _USERNAME.fullmatch(raw):
        stmt = stmt.where(func.lower(User.username) == match.group(1).lower())
    else:
        raise UserError("Name the user as @username or by their Telegram id.")
    user = await session.scalar(stmt.limit(1))
    if user is None:
        raise NotFound("I do not know that user yet: ask them to send /start to the bot first.")
    return user


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


class SourceApprovals(Protocol):
    """The notices of a source waiting for approval (HTML and buttons, from the handlers)."""

    def to_approve(self, source: SourceView) -> tuple[str, list[list[dict[str, Any]]]]: ...
    def approved(self, source: SourceView) -> str: ...
    def registered_private(self, source: SourceView) -> str: ...
    def invitation(self, source: SourceView, by: UserView) -> str: ...


def can_see(source: Source, viewer: UserView | None) -> bool:
    """Approved sources are everyone's; until then: admins, the owner and the invitees."""
    if source.approved:
        return True
    if viewer is None:
        return False
    return (
        viewer.role is Role.ADMIN
        or source.owner_user_id == viewer.id
        or viewer.id in (source.invitees or [])
    )


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
        approved=source.approved,
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
        approvals: SourceApprovals | None = None,
    ) -> None:
        self._db = db
        self._approvals = approvals
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
            await self._deactivate(actor, chat, bot_status)
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
            if actor is not None and actor.role is Role.ADMIN:
                source.approved = True
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
                    self._owner_note(view),
                    dedupe_key=f"src-owner:{source.id}:{actor.id}",
                    user_id=actor.id,
                )
            if not source.approved:
                await self._ask_admins(session, view)
        log.info("source_registered", source_id=view.id, verified=view.verified)
        return view

    async def _deactivate(self, actor: UserView | None, chat: ChatInfo, bot_status: str) -> None:
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
            source.approved = True
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

    async def list_sources(self, viewer: UserView | None = None) -> list[SourceView]:
        """The sources ``viewer`` may see (None: the approved ones)."""
        async with self._db.session() as session:
            repo = SourceRepository(session)
            sources = [s for s in await repo.list_all() if can_see(s, viewer)]
            counts = await repo.counts([s.id for s in sources])
            owners = await self._owner_ids(session, sources)
            return [to_source_view(s, owners.get(s.id), counts.get(s.id, (0, 0))) for s in sources]

    async def resolve(self, ref_text: str, viewer: UserView | None = None) -> SourceView:
        """A source by number (as /sources lists it), @username or channel id; one ``viewer``
        may not see is NotFound like a missing one (None: only approved sources)."""
        async with self._db.session() as session:
            source = await self._find(SourceRepository(session), ref_text)
            if not can_see(source, viewer):
                raise NotFound(NO_SUCH_SOURCE)  # as if missing: its existence stays private
            return to_source_view(source)

    async def approve(self, actor: UserView, ref_text: str) -> SourceView:
        """``/source approve`` or the admins' button: every user sees the source from now on;
        audited, its owner told. Forbidden for non-admins, UserError when approved already."""
        if actor.role is not Role.ADMIN:
            raise Forbidden()
        async with self._db.transaction() as session:
            source = await self._find(SourceRepository(session), ref_text)
            if source.approved:
                raise UserError(f"{to_source_view(source).name} is approved already.")
            source.approved = True
            await AuditRepository(session).add(
                "source_approved", actor_user_id=actor.id, target=str(source.chat_id)
            )
            owners = await self._owner_ids(session, [source])
            view = to_source_view(source, owners.get(source.id))
            if view.owner_telegram_id is not None and self._approvals is not None:
                await enqueue(
                    OutboxRepository(session),
                    view.owner_telegram_id,
                    self._approvals.approved(view),
                    dedupe_key=f"src-approved:{source.id}",
                    user_id=source.owner_user_id,
                )
        log.info("source_approved", source_id=view.id)
        return view

    async def invite(
        self, actor: UserView, ref_text: str, who: str, *, admit: bool = True
    ) -> tuple[SourceView, UserView]:
        """``/invite`` (``admit``) or ``/uninvite``: the owner (or an admin) lets a user see a
        source that is not approved yet, or takes that back (their follow goes too).
        ``who`` is @username or Telegram id of someone who has talked to the bot."""
        async with self._db.transaction() as session:
            source = await self._find(SourceRepository(session), ref_text)
            if not can_see(source, actor):
                raise NotFound(NO_SUCH_SOURCE)
            if actor.role is not Role.ADMIN and source.owner_user_id != actor.id:
                raise Forbidden("Only the channel's owner or an admin can invite to it.")
            if source.approved:
                raise UserError("Everyone sees that source already; nobody needs an invite.")
            user = await _user_by_ref(session, who)
            invitees = [i for i in (source.invitees or []) if i != user.id]
            if admit:
                if len(invitees) >= MAX_INVITEES:
                    raise UserError(f"A source can have {MAX_INVITEES} invitees at most.")
                invitees.append(user.id)
                await self._tell_invitee(session, source, actor, user)
            else:
                await SubscriptionRepository(session).remove(user.id, source.id)
            source.invitees = invitees
            await AuditRepository(session).add(
                "source_invited" if admit else "source_uninvited",
                actor_user_id=actor.id,
                target=str(source.chat_id),
                details={"user": user.telegram_id},
            )
            return to_source_view(source), to_view(user)

    async def _tell_invitee(
        self, session: AsyncSession, source: Source, actor: UserView, user: User
    ) -> None:
        if self._approvals is not None and user.id != actor.id:
            await enqueue(
                OutboxRepository(session),
                user.telegram_id,
                self._approvals.invitation(to_source_view(source), actor),
                dedupe_key=f"src-invite:{source.id}:{user.id}:{len(source.invitees or [])}",
                user_id=user.id,
            )

    def _owner_note(self, view: SourceView) -> str:
        if view.approved or self._approvals is None:
            return self._messages.source_registered(view)
        return self._approvals.registered_private(view)

    async def _ask_admins(self, session: AsyncSession, view: SourceView) -> None:
        """A source waiting for approval: each admin gets the notice with its button."""
        if self._approvals is None:
            return
        text, buttons = self._approvals.to_approve(view)
        await enqueue_to_admins(
            session, text, buttons=buttons, dedupe_key=f"src-approve:{view.id}"
        )

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
            raise NotFound(NO_SUCH_SOURCE)
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
