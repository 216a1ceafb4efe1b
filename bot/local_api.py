"""In-process emulation of the Telegram Bot API.

Owns `LocalBotAPI` (chat/message/member state plus the method handlers, answering with the exact
JSON shapes Telegram returns), `LocalSession` (an aiogram session that answers requests from a
`LocalBotAPI` without sockets; used by the console mode) and `UpdateFactory` (incoming updates as
the dicts Telegram would deliver). The loopback fake server in `tests/fakes/telegram_api.py` wraps
the same `LocalBotAPI`, so console mode and tests share one emulation.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import html
import inspect
import json
import re
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

JSON = dict[str, Any]

BOT_ID: Final = 42
BOT_USERNAME: Final = "tsbot_local"
BOT_FIRST_NAME: Final = "Trading Signals Bot"
MAX_TEXT_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64

ERROR_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "Bad Request: bad request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

CHAT_NOT_FOUND: Final = "Bad Request: chat not found"
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

MessageEventKind = Literal["sent", "edited", "deleted"]


class BotAPIError(Exception):
    """A Bot API error answer: `{"ok": false, "error_code": code, "description": ...}`."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> JSON:
        """The JSON body Telegram answers with for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def make_error(
    code: int, description: str | None = None, retry_after: int | None = None
) -> BotAPIError:
    """Build a `BotAPIError` with Telegram's usual description for `code` when none is given."""
    if code == 429:
        retry_after = 1 if retry_after is None else retry_after
        description = description or f"Too Many Requests: retry after {retry_after}"
    return BotAPIError(code, description or ERROR_DESCRIPTIONS.get(code, "Error"), retry_after)


@dataclass(frozen=True)
class MessageEvent:
    """A message the bot sent, edited or deleted; `params` are the request parameters."""

    kind: MessageEventKind
    chat_id: int
    message: JSON
    params: JSON = field(default_factory=dict)


MessageHook = Callable[[MessageEvent], Awaitable[None] | None] | asyncio.Queue[MessageEvent]


# --- HTML parse_mode ----------------------------------------------------------------------------

_HTML_TAGS: Final = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji", "tg-time",
    }
)  # fmt: skip
_TAG_RE: Final = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_ENTITY_RE: Final = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_to_plain(text: str) -> str:
    """Strip Telegram-HTML markup the way the server does; raises `BotAPIError` (400) when
    the markup would be rejected ("can't parse entities")."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            match = _TAG_RE.match(text, pos)
            if match is None:
                raise BotAPIError(
                    400,
                    "Bad Request: can't parse entities: Unsupported start tag at byte offset "
                    f"{len(text[:pos].encode())}",
                )
            closing, name = match.group(1), match.group(2).lower()
            if name not in _HTML_TAGS:
                raise BotAPIError(
                    400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}"'
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise BotAPIError(
                        400, f'Bad Request: can\'t parse entities: Unexpected end tag "{name}"'
                    )
                stack.pop()
            else:
                stack.append(name)
            pos = match.end()
        elif char == "&" and (entity := _ENTITY_RE.match(text, pos)):
            out.append(html.unescape(entity.group(0)))
            pos = entity.end()
        else:
            out.append(char)
            pos += 1
    if stack:
        raise BotAPIError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1]}"',
        )
    return "".join(out)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def decode_param(key: str, value: Any) -> Any:
    """Decode one transport-level parameter (form fields are strings, nested objects JSON).

    Text-like fields stay strings even when they look like numbers; everything else that
    parses as JSON is decoded (`"42"` -> 42, `'{"inline_keyboard": ...}'` -> dict)."""
    if not isinstance(value, str) or key in TEXT_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


TEXT_FIELDS: Final = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "data", "url", "secret_token",
        "description", "short_description", "title", "name", "username", "first_name",
        "last_name", "query", "inline_message_id", "business_connection_id", "action",
        "language_code", "ip_address", "emoji", "custom_title", "question", "message_effect_id",
        "sticker", "photo", "document", "video", "audio", "voice", "animation", "certificate",
        "switch_pm_text", "switch_pm_parameter", "invite_link", "address",
        "phone_number", "vcard", "game_short_name", "payload", "currency", "provider_token",
        "start_parameter", "error_message", "shipping_query_id", "pre_checkout_query_id",
        "foursquare_id", "foursquare_type", "google_place_id", "google_place_type",
    }
)  # fmt: skip


# --- state + method handlers --------------------------------------------------------------------


class LocalBotAPI:
    """Telegram Bot API state and method handlers, in process.

    `call(method, params)` answers with the `result` payload or raises `BotAPIError`.
    Every call is recorded in `calls`; faults can be queued per method with `fail()`.
    """

    def __init__(
        self,
        *,
        bot_id: int = BOT_ID,
        username: str = BOT_USERNAME,
        first_name: str = BOT_FIRST_NAME,
        clock: Callable[[], float] = time.time,
        on_message: MessageHook | None = None,
        strict_chats: bool = False,
    ) -> None:
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.clock = clock
        self.on_message = on_message
        self.strict_chats = strict_chats
        self.calls: list[tuple[str, JSON]] = []
        self.blocked: set[int] = set()
        self.webhook: JSON = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self.members: dict[tuple[int, int], str] = {}  # (chat_id, user_id) -> status
        self._messages: dict[int, dict[int, JSON]] = {}
        self._outgoing: set[tuple[int, int]] = set()
        self._counters: dict[int, int] = {}
        self._faults: dict[str, deque[BotAPIError]] = {}
        self._changed = asyncio.Event()
        self._handlers: dict[str, Callable[[JSON], Any]] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "answercallbackquery": self._answer_callback_query,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "getchatadministrators": self._get_chat_administrators,
            "getchatmembercount": self._get_chat_member_count,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getmycommands": self._get_my_commands,
            "sendchataction": self._true_for_chat,
            "pinchatmessage": self._true_for_chat,
            "unpinchatmessage": self._true_for_chat,
            "leavechat": self._leave_chat,
            "setmydescription": self._true,
            "setmyshortdescription": self._true,
            "setchatmenubutton": self._true,
            "close": self._true,
            "logout": self._true,
        }

    # -- registries ------------------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """Register (or update) a user; returns the Telegram `User` dict."""
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
        }
        for key, value in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        self._users[user_id] = user
        if user_id > 0 and user_id in self._chats:
            self._chats[user_id].update(self._private_chat(user))
        return dict(user)

    def user(self, user_id: int) -> JSON:
        """The `User` dict of `user_id` (the bot itself for the bot's id)."""
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
        """Register a chat (`private`, `group`, `supergroup` or `channel`); returns its dict."""
        chat: JSON = {"id": chat_id, "type": type}
        if type == "private":
            user = self._users.get(chat_id) or self.add_user(
                chat_id, first_name=title, username=username
            )
            chat = self._private_chat(user)
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
        """Resolve a chat id or `@username`; raises `BotAPIError` 400 "chat not found"."""
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
        if self.strict_chats:
            raise BotAPIError(400, CHAT_NOT_FOUND)
        return self.add_chat(chat_id, "supergroup", title=f"Group {chat_id}")

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Set a member's status (`creator`, `administrator`, `member`, `restricted`, `left`,
        `kicked`) in a chat."""
        self.members[(chat_id, user_id)] = status

    def member_status(self, chat_id: int, user_id: int) -> str:
        return self.members.get((chat_id, user_id), "member")

    def chat_member(self, chat_id: int, user_id: int) -> JSON:
        """The `ChatMember` dict of `user_id` in `chat_id` (shape depends on the status)."""
        return chat_member_dict(self.user(user_id), self.member_status(chat_id, user_id))

    def block(self, user_id: int) -> None:
        """Make every send to `user_id` fail with 403 "bot was blocked by the user"."""
        self.blocked.add(user_id)

    # -- messages --------------------------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id of `chat_id` (per-chat counter, like Telegram)."""
        self._counters[chat_id] = self._counters.get(chat_id, 0) + 1
        return self._counters[chat_id]

    def store_message(self, message: JSON, *, outgoing: bool = False) -> JSON:
        """Store a message (incoming ones come from `UpdateFactory`); keeps the counter ahead."""
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

    def messages(self, chat_id: int, *, include_incoming: bool = False) -> list[JSON]:
        """Messages the bot sent to `chat_id` (current state, after edits/deletes), oldest first;
        `include_incoming=True` adds the ones users/channels posted."""
        return [
            copy.deepcopy(message)
            for message_id, message in sorted(self._messages.get(chat_id, {}).items())
            if include_incoming or (chat_id, message_id) in self._outgoing
        ]

    # -- recording -------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[JSON]:
        """Params of every recorded call of `method`, oldest first."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def last(self, method: str) -> JSON:
        """Params of the latest call of `method`; raises LookupError when there was none."""
        found = self.calls_of(method)
        if not found:
            seen = sorted({name for name, _ in self.calls})
            msg = f"no {method} call recorded; calls so far: {seen}"
            raise LookupError(msg)
        return found[-1]

    def record(self, method: str, params: JSON) -> None:
        """Record a call and wake `wait_for` waiters."""
        self.calls.append((method, params))
        self.notify()

    def notify(self) -> None:
        """Wake everything waiting for a state change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_changed(self, timeout: float) -> bool:  # noqa: ASYNC109 - public API
        """Wait up to `timeout` seconds for the next recorded change; False on timeout."""
        event = self._changed
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the deadline is part of the public API
    ) -> list[JSON]:
        """Wait until `count` calls of `method` were recorded; returns their params.

        Raises TimeoutError (with the calls seen so far) when they do not arrive in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found := self.calls_of(method)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self.wait_changed(remaining):
                seen = [name for name, _ in self.calls]
                msg = f"{len(found)}/{count} {method} calls after {timeout}s; calls: {seen}"
                raise TimeoutError(msg)
        return found

    # -- faults ----------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        code: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail with `code` (429 gets `retry_after`,
        default 1; 403 defaults to "Forbidden: bot was blocked by the user")."""
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(make_error(code, description, retry_after) for _ in range(times))

    def pop_fault(self, method: str) -> BotAPIError | None:
        queue = self._faults.get(method.lower())
        return queue.popleft() if queue else None

    # -- dispatch --------------------------------------------------------------------------------

    async def call(self, method: str, params: JSON) -> Any:
        """Answer one Bot API call: the `result` payload, or raise `BotAPIError`."""
        self.record(method, params)
        if (fault := self.pop_fault(method)) is not None:
            raise fault
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise BotAPIError(404, "Not Found: method not found")
        result = handler(params)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def respond(self, method: str, params: JSON) -> tuple[int, JSON]:
        """`call` wrapped into the HTTP status and JSON envelope Telegram answers with."""
        try:
            result = await self.call(method, params)
        except BotAPIError as error:
            return error.code, error.to_response()
        return 200, {"ok": True, "result": result}

    async def _emit(self, kind: MessageEventKind, message: JSON, params: JSON) -> None:
        hook = self.on_message
        if hook is None:
            return
        event = MessageEvent(kind, int(message["chat"]["id"]), copy.deepcopy(message), params)
        if isinstance(hook, asyncio.Queue):
            hook.put_nowait(event)
            return
        result = hook(event)
        if inspect.isawaitable(result):
            await result

    # -- helpers ---------------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    @staticmethod
    def _private_chat(user: JSON) -> JSON:
        chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def _require(self, params: JSON, key: str) -> Any:
        value = params.get(key)
        if value is None or value == "":
            raise BotAPIError(400, f"Bad Request: parameter {key!r} is required")
        return value

    def _target_chat(self, params: JSON) -> JSON:
        chat = self.chat(self._require(params, "chat_id"))
        if chat["type"] == "private" and chat["id"] in self.blocked:
            raise BotAPIError(403, "Forbidden: bot was blocked by the user")
        if self.member_status(chat["id"], self.bot_id) in {"left", "kicked"}:
            where = "channel" if chat["type"] == "channel" else "group"
            raise BotAPIError(403, f"Forbidden: bot is not a member of the {where} chat")
        return chat

    @staticmethod
    def _render_text(params: JSON) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BotAPIError(400, "Bad Request: message text is empty")
        if str(params.get("parse_mode", "")).lower() == "html":
            text = html_to_plain(text)
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise BotAPIError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _inline_markup(params: JSON) -> JSON | None:
        """Only inline keyboards are echoed in `Message.reply_markup`; validates callback_data."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)

    def _stored(self, params: JSON, action: str) -> JSON:
        chat = self.chat(self._require(params, "chat_id"))
        message_id = int(self._require(params, "message_id"))
        message = self._messages.get(chat["id"], {}).get(message_id)
        if message is None:
            raise BotAPIError(400, f"Bad Request: message to {action} not found")
        return message

    # -- methods ---------------------------------------------------------------------------------

    def _true(self, params: JSON) -> bool:
        return True

    def _true_for_chat(self, params: JSON) -> bool:
        self._target_chat(params)
        return True

    def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        text = self._render_text(params)
        message: JSON = {
            "message_id": self.next_message_id(chat["id"]),
            "date": self.now(),
            "chat": chat,
            "text": text,
        }
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        else:
            message["from"] = dict(self.bot_user)
        reply_to = params.get("reply_to_message_id")
        if isinstance(params.get("reply_parameters"), dict):
            reply_to = params["reply_parameters"].get("message_id", reply_to)
        if reply_to is not None:
            replied = self.message(chat["id"], int(reply_to))
            if replied is None:
                raise BotAPIError(400, "Bad Request: message to be replied not found")
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        if (markup := self._inline_markup(params)) is not None:
            message["reply_markup"] = markup
        self.store_message(message, outgoing=True)
        await self._emit("sent", message, params)
        return copy.deepcopy(message)

    async def _edit_message_text(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            self._render_text(params)
            return True
        message = self._stored(params, "edit")
        key = (message["chat"]["id"], message["message_id"])
        if key not in self._outgoing:
            raise BotAPIError(400, "Bad Request: message can't be edited")
        text = self._render_text(params)
        # Telegram drops the inline keyboard when editMessageText has no reply_markup.
        markup = self._inline_markup(params)
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise BotAPIError(400, NOT_MODIFIED)
        message["text"] = text
        message["edit_date"] = self.now()
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        self.notify()
        await self._emit("edited", message, params)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        message = self._stored(params, "edit")
        key = (message["chat"]["id"], message["message_id"])
        if key not in self._outgoing:
            raise BotAPIError(400, "Bad Request: message can't be edited")
        markup = self._inline_markup(params)
        if markup == message.get("reply_markup"):
            raise BotAPIError(400, NOT_MODIFIED)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = self.now()
        self.notify()
        await self._emit("edited", message, params)
        return copy.deepcopy(message)

    async def _delete_message(self, params: JSON) -> bool:
        message = self._stored(params, "delete")
        chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
        del self._messages[chat_id][message_id]
        self._outgoing.discard((chat_id, message_id))
        self.notify()
        await self._emit("deleted", message, params)
        return True

    async def _delete_messages(self, params: JSON) -> bool:
        chat = self.chat(self._require(params, "chat_id"))
        for message_id in self._require(params, "message_ids"):
            if self.message(chat["id"], int(message_id)) is not None:
                await self._delete_message({"chat_id": chat["id"], "message_id": message_id})
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        self._require(params, "callback_query_id")
        if len(str(params.get("text", ""))) > 200:
            raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _get_chat(self, params: JSON) -> JSON:
        chat = self.chat(self._require(params, "chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, params: JSON) -> JSON:
        chat = self.chat(self._require(params, "chat_id"))
        return self.chat_member(chat["id"], int(self._require(params, "user_id")))

    def _admin_ids(self, chat_id: int) -> list[int]:
        return [
            user_id
            for (member_chat, user_id), status in self.members.items()
            if member_chat == chat_id and status in {"creator", "administrator"}
        ]

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self.chat(self._require(params, "chat_id"))
        if chat["type"] == "private":
            raise BotAPIError(400, "Bad Request: there are no administrators in the private chat")
        return [self.chat_member(chat["id"], user_id) for user_id in self._admin_ids(chat["id"])]

    def _get_chat_member_count(self, params: JSON) -> int:
        chat = self.chat(self._require(params, "chat_id"))
        if chat["type"] == "private":
            return 2
        present = {"creator", "administrator", "member", "restricted"}
        return sum(
            1
            for (member_chat, _), status in self.members.items()
            if member_chat == chat["id"] and status in present
        )

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            raise BotAPIError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook = {key: value for key, value in params.items() if key != "certificate"}
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = {}
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code", ""))

    def _set_my_commands(self, params: JSON) -> bool:
        commands = self._require(params, "commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._commands_key(params)] = list(commands)
        return True

    def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return list(self.commands.get(self._commands_key(params), []))

    def _leave_chat(self, params: JSON) -> bool:
        chat = self.chat(self._require(params, "chat_id"))
        self.set_member(chat["id"], self.bot_id, "left")
        return True


def chat_member_dict(user: JSON, status: str) -> JSON:
    """A `ChatMember` dict with every field the given status requires."""
    member: JSON = {"status": status, "user": dict(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_send_welcome_messages=False,
            can_post_messages=True,
            can_edit_messages=True,
            can_pin_messages=True,
        )
    elif status == "restricted":
        member.update(
            {
                "is_member": True,
                "until_date": 0,
                **dict.fromkeys(
                    (
                        "can_send_messages", "can_send_audios", "can_send_documents",
                        "can_send_photos", "can_send_videos", "can_send_video_notes",
                        "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                        "can_add_web_page_previews", "can_react_to_messages", "can_edit_tag",
                        "can_change_info", "can_invite_users", "can_pin_messages",
                        "can_manage_topics",
                    ),
                    False,
                ),
            }
        )  # fmt: skip
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in {"member", "left"}:
        msg = f"unknown chat member status {status!r}"
        raise ValueError(msg)
    return member


# --- aiogram session ----------------------------------------------------------------------------


class LocalSession(BaseSession):
    """An aiogram session answered in process by a `LocalBotAPI` (no sockets).

    Params are serialised the way `AiohttpSession.build_form_data` does, then decoded as the
    server would; answers go through the real `check_response`, so errors raise the same
    aiogram exceptions as in production (`TelegramRetryAfter`, `TelegramForbiddenError`, ...).
    """

    def __init__(self, api: LocalBotAPI | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.local_api = api if api is not None else LocalBotAPI()
        self.closed = False

    def build_params(self, bot: Bot, method: TelegramMethod[TelegramType]) -> JSON:
        """Request params as the Bot API server sees them after decoding the form."""
        files: dict[str, Any] = {}
        params: JSON = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if not prepared:
                continue
            params[key] = self._decode(value, prepared, bot)
        for key, input_file in files.items():
            params[key] = {"filename": getattr(input_file, "filename", None) or key}
        return params

    def _decode(self, value: Any, prepared: Any, bot: Bot) -> Any:
        while isinstance(value, Default | Enum):
            value = bot.default[value.name] if isinstance(value, Default) else value.value
        if isinstance(value, str) or not isinstance(prepared, str):
            return prepared
        if isinstance(value, datetime.datetime | datetime.timedelta):
            return int(prepared)
        return self.json_loads(prepared)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession signature
    ) -> TelegramType:
        params = self.build_params(bot, method)
        status, body = await self.local_api.respond(method.__api_method__, params)
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=self.json_dumps(body)
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - BaseSession signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        # No files are stored locally: downloads are empty.
        for chunk in ():
            yield chunk

    async def close(self) -> None:
        self.closed = True


# --- incoming updates ---------------------------------------------------------------------------


class UpdateFactory:
    """Incoming updates as the dicts Telegram delivers (valid `aiogram.types.Update` input).

    Messages are stored in the `LocalBotAPI`, and their ids come from its per-chat counters, so
    later replies, edits and deletes line up with what the bot sent.
    """

    def __init__(self, api: LocalBotAPI, *, first_update_id: int = 1) -> None:
        self.api = api
        self._next_update_id = first_update_id
        self._next_callback_id = 1

    def _update(self, **payload: Any) -> JSON:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        return update

    def _channel(self, chat_id: int, title: str | None, username: str | None) -> JSON:
        known = self.api.known_chat(chat_id)
        if known is None or (title is not None and known.get("title") != title):
            return self.api.add_chat(chat_id, "channel", title=title, username=username)
        return dict(known)

    def message(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        *,
        username: str | None = None,
        first_name: str | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A `message` update from `user_id` (private chat unless `chat_id` names a group);
        a leading `/command` gets its `bot_command` entity."""
        user = self.api.add_user(user_id, first_name=first_name, username=username)
        chat = self.api.chat(user_id if chat_id is None else chat_id)
        message: JSON = {
            "message_id": self.api.next_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": self.api.now(),
            "text": text,
        }
        if entities is None and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            replied = self.api.message(chat["id"], reply_to_message_id)
            if replied is None:
                msg = f"no message {reply_to_message_id} in chat {chat['id']} to reply to"
                raise LookupError(msg)
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        self.api.store_message(message)
        return self._update(message=message)

    def callback(self, user_id: int, message: JSON, data: str) -> JSON:
        """A `callback_query` update: `user_id` pressed a button with `data` under `message`
        (the message's current stored state is used when known)."""
        user = self.api.user(user_id)
        chat_id = int(message["chat"]["id"])
        current = self.api.message(chat_id, int(message["message_id"])) or copy.deepcopy(message)
        query: JSON = {
            "id": str(self._next_callback_id),
            "from": user,
            "message": current,
            "chat_instance": str(abs(chat_id) * 1000 + 7),
            "data": data,
        }
        self._next_callback_id += 1
        return self._update(callback_query=query)

    def channel_post(
        self,
        chat_id: int,
        text: str,
        message_id: int | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A `channel_post` update in channel `chat_id` (registered as a channel if unknown)."""
        chat = self._channel(chat_id, title, username)
        message: JSON = {
            "message_id": (
                self.api.next_message_id(chat_id) if message_id is None else message_id
            ),
            "sender_chat": chat,
            "chat": chat,
            "date": self.api.now(),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        self.api.store_message(message)
        return self._update(channel_post=message)

    def edited_channel_post(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        title: str | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """An `edited_channel_post` update changing the text of a stored (or new) post."""
        chat = self._channel(chat_id, title, None)
        message = self.api.message(chat_id, message_id) or {
            "message_id": message_id,
            "sender_chat": chat,
            "chat": chat,
            "date": self.api.now(),
        }
        message["text"] = text
        message["edit_date"] = self.api.now()
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self.api.store_message(message)
        return self._update(edited_channel_post=message)

    def forward(  # noqa: PLR0917 - mirrors the forwarded post's fields
        self,
        user_id: int,
        from_channel_id: int,
        channel_title: str,
        text: str,
        origin_message_id: int = 1,
        origin_date: int | None = None,
        *,
        username: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """A private `message` from `user_id` forwarding a channel post (`forward_origin` of
        type `channel`, Bot API 7+)."""
        update = self.message(user_id, text, username=username, first_name=first_name)
        update["message"].pop("entities", None)
        update["message"]["forward_origin"] = {
            "type": "channel",
            "chat": {"id": from_channel_id, "type": "channel", "title": channel_title},
            "message_id": origin_message_id,
            "date": self.api.now() if origin_date is None else origin_date,
        }
        self.api.store_message(update["message"])
        return update

    def my_chat_member(
        self,
        chat_id: int,
        user_id: int,
        new_status: str = "administrator",
        old_status: str = "left",
        *,
        chat_type: str | None = None,
        title: str | None = None,
    ) -> JSON:
        """A `my_chat_member` update: `user_id` changed the bot's status in `chat_id`
        (also recorded in the member registry)."""
        if chat_type is not None:
            chat = self.api.add_chat(chat_id, chat_type, title=title)
        else:
            chat = self.api.chat(chat_id)
        self.api.set_member(chat_id, self.api.bot_id, new_status)
        if user_id != self.api.bot_id:
            # Only admins can change the bot's membership.
            self.api.members.setdefault((chat_id, user_id), "administrator")
        change = {
            "chat": chat,
            "from": self.api.user(user_id),
            "date": self.api.now(),
            "old_chat_member": chat_member_dict(self.api.bot_user, old_status),
            "new_chat_member": chat_member_dict(self.api.bot_user, new_status),
        }
        return self._update(my_chat_member=change)
