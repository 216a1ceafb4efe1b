"""What Telegram's servers hold for the emulated bot: users, chats, memberships and messages.

`TelegramState` is the registry the emulator's methods read and write and the console's update
factory fills: incoming messages and posts are stored as well, so replies, edits and button
presses line up with them. Invariants:

- message ids are per chat and only grow: `next_message_id` allocates, and `store_message` keeps
  the counter ahead of any id it stores;
- lookups hand out copies, so a caller never changes stored state by accident;
- an unknown positive chat id is the private chat with that user, and an unknown negative one a
  supergroup, both created on first use (the console lets the bot talk to any chat); an unknown
  ``@username`` is "chat not found".
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, Final

from bot.console.errors import CHAT_NOT_FOUND, BotAPIError

JSON = dict[str, Any]

BOT_ID: Final = 42
BOT_USERNAME: Final = "tsbot_local"
BOT_FIRST_NAME: Final = "Trading Signals Bot"
_RESTRICTED_RIGHTS: Final = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_react_to_messages",
    "can_edit_tag", "can_change_info", "can_invite_users", "can_pin_messages",
    "can_manage_topics",
)  # fmt: skip
_ADMIN_RIGHTS: Final = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_post_messages": True,
    "can_edit_messages": True,
    "can_pin_messages": True,
}


class TelegramState:
    """Users, chats, chat members and stored messages, with Telegram's id rules."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.bot_user: JSON = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        self.clock = clock
        self.members: dict[tuple[int, int], str] = {}  # (chat_id, user_id) -> status
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: dict[int, dict[int, JSON]] = {}
        self._outgoing: set[tuple[int, int]] = set()
        self._counters: dict[int, int] = {}

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def now(self) -> int:
        """Telegram's dates are whole Unix seconds."""
        return int(self.clock())

    # -- users and chats -------------------------------------------------------------------------

    def add_user(
        self, user_id: int, first_name: str | None = None, username: str | None = None
    ) -> JSON:
        """Register (or update) a user; returns the Telegram ``User`` dict."""
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
        }
        if first_name is not None:
            user["first_name"] = first_name
        if username is not None:
            user["username"] = username
        self._users[user_id] = user
        if user_id > 0 and user_id in self._chats:
            self._chats[user_id].update(_private_chat(user))
        return dict(user)

    def user(self, user_id: int) -> JSON:
        """The ``User`` dict of `user_id` (the bot itself for the bot's id)."""
        if user_id == self.bot_id:
            return dict(self.bot_user)
        return dict(self._users.get(user_id) or self.add_user(user_id))

    def add_chat(
        self,
        chat_id: int,
        type: str,
        title: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """Register a chat (``private``, ``group``, ``supergroup`` or ``channel``); returns its
        dict."""
        chat: JSON = {"id": chat_id, "type": type}
        if type == "private":
            user = self._users.get(chat_id) or self.add_user(
                chat_id, first_name=title, username=username
            )
            chat = _private_chat(user)
        else:
            chat["title"] = title or f"{type.capitalize()} {chat_id}"
            if username:
                chat["username"] = username
        self._chats[chat_id] = chat
        return dict(chat)

    def known_chat(self, chat_id: int) -> JSON | None:
        """The registered chat dict, or None (no auto-registration)."""
        known = self._chats.get(chat_id)
        return dict(known) if known is not None else None

    def chat(self, chat_id: int | str) -> JSON:
        """Resolve a chat id or ``@username``; raises `BotAPIError` 400 "chat not found"."""
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for known in self._chats.values():
                if str(known.get("username", "")).lower() == wanted:
                    return dict(known)
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise BotAPIError(400, CHAT_NOT_FOUND) from None
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id > 0:
            return self.add_chat(chat_id, "private")
        return self._unknown_group(chat_id)

    def _unknown_group(self, chat_id: int) -> JSON:
        """A negative chat id nobody registered: a supergroup from now on."""
        return self.add_chat(chat_id, "supergroup", title=f"Group {chat_id}")

    # -- members ---------------------------------------------------------------------------------

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Set a member's status (``creator``, ``administrator``, ``member``, ``restricted``,
        ``left``, ``kicked``) in a chat."""
        self.members[(chat_id, user_id)] = status

    def member_status(self, chat_id: int, user_id: int) -> str:
        return self.members.get((chat_id, user_id), "member")

    def chat_member(self, chat_id: int, user_id: int) -> JSON:
        """The ``ChatMember`` dict of `user_id` in `chat_id` (shape depends on the status)."""
        return chat_member_dict(self.user(user_id), self.member_status(chat_id, user_id))

    # -- messages --------------------------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id of `chat_id` (per-chat counter, like Telegram)."""
        self._counters[chat_id] = self._counters.get(chat_id, 0) + 1
        return self._counters[chat_id]

    def store_message(self, message: JSON, *, outgoing: bool = False) -> JSON:
        """Store a message (`outgoing` when the bot sent it); keeps the counter ahead."""
        chat_id = int(message["chat"]["id"])
        message_id = int(message["message_id"])
        self._counters[chat_id] = max(self._counters.get(chat_id, 0), message_id)
        self._messages.setdefault(chat_id, {})[message_id] = copy.deepcopy(message)
        if outgoing:
            self._outgoing.add((chat_id, message_id))
        return message

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """Current state of one stored message, or None."""
        found = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(found) if found is not None else None


def _private_chat(user: JSON) -> JSON:
    chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    if "username" in user:
        chat["username"] = user["username"]
    return chat


def chat_member_dict(user: JSON, status: str) -> JSON:
    """A ``ChatMember`` dict with every field the given status requires; raises ValueError for
    a status Telegram does not have."""
    member: JSON = {"status": status, "user": dict(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_ADMIN_RIGHTS)
    elif status == "restricted":
        member.update(is_member=True, until_date=0, **dict.fromkeys(_RESTRICTED_RIGHTS, False))
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in {"member", "left"}:
        msg = f"unknown chat member status {status!r}"
        raise ValueError(msg)
    return member
