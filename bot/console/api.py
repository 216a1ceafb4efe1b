"""The Bot API methods the bot calls, answered in process for the console.

`LocalBotAPI` answers ``call(method, params)`` with the ``result`` payload Telegram would send,
or raises `BotAPIError` with Telegram's code and wording, over the users, chats and messages of
`TelegramState`. It holds only the methods the bot uses (sending, editing and deleting
messages, answering button presses, reading chats and members, setting command menus, getFile
for the files it keeps: a user's documents and the photos the bot sent); a method it does not
know is 404 "method not found", as on Telegram, so a handler calling a new method shows up at
once.

It checks what Telegram checks before accepting a message: HTML markup (`html_check`), text
length, callback data size, reply targets, whether the bot may write to the chat. Every message
the bot sends, edits or deletes is reported to `on_message`, and every button answer with text
to `on_alert`: that is how the console prints the conversation.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from bot.console.errors import NOT_MODIFIED, BotAPIError
from bot.console.html_check import HTMLRejected, html_to_plain
from bot.console.state import JSON, TelegramState

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_ALERT_LENGTH: Final = 200
MAX_MENU_COMMANDS: Final = 100
MAX_COMMAND_DESCRIPTION: Final = 256
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024  # getFile refuses bigger files to bots
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
PNG_HEADER_END: Final = 24  # the signature, then IHDR's length, type, width and height
COMMAND_NAME: Final = re.compile(r"[a-z0-9_]{1,32}")

MessageEventKind = Literal["sent", "edited", "deleted"]


@dataclass(frozen=True)
class MessageEvent:
    """A message the bot sent, edited or deleted; `params` are the request parameters."""

    kind: MessageEventKind
    chat_id: int
    message: JSON
    params: JSON = field(default_factory=dict)


MessageHook = Callable[[MessageEvent], Awaitable[None] | None] | asyncio.Queue[MessageEvent]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and length limits."""
    return len(text.encode("utf-16-le")) // 2


class LocalBotAPI(TelegramState):
    """Telegram's answers to the bot's Bot API calls, in process."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        on_message: MessageHook | None = None,
        on_alert: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.on_message = on_message
        self.on_alert = on_alert
        self._handlers: dict[str, Callable[[JSON], Any]] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "getfile": self._get_file,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
        }
        # command menus by (scope as JSON, language code); "" is every language
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self._files: dict[str, tuple[JSON, bytes]] = {}  # file_id -> (File object, bytes)

    # -- files -----------------------------------------------------------------------------------

    def add_file(self, data: bytes, kind: str = "documents", file_name: str | None = None) -> JSON:
        """Keep ``data`` as Telegram keeps an uploaded file; returns its ``File`` object
        (``file_id``, ``file_unique_id``, ``file_size``, and the ``file_path`` a download
        reads)."""
        number = len(self._files) + 1
        suffix = file_name.rpartition(".")[2] if file_name and "." in file_name else "bin"
        file: JSON = {
            "file_id": f"{kind}-{number}",
            "file_unique_id": f"u{number}",
            "file_size": len(data),
            "file_path": f"{kind}/file_{number}.{suffix}",
        }
        self._files[file["file_id"]] = (file, data)
        return dict(file)

    def file_content(self, file_path: str) -> bytes | None:
        """The bytes of a kept file by its ``file_path`` (what ``/file/bot<token>/...`` serves)."""
        for file, data in self._files.values():
            if file["file_path"] == file_path:
                return data
        return None

    # -- dispatch --------------------------------------------------------------------------------

    async def call(self, method: str, params: JSON) -> Any:
        """Answer one Bot API call: the ``result`` payload, or raise `BotAPIError`."""
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

    # -- checks ----------------------------------------------------------------------------------

    @staticmethod
    def _require(params: JSON, key: str) -> Any:
        value = params.get(key)
        if value is None or value == "":
            raise BotAPIError(400, f"Bad Request: parameter {key!r} is required")
        return value

    def _target_chat(self, params: JSON) -> JSON:
        """The chat a message goes to; 403 when the bot is no longer in it."""
        chat = self.chat(self._require(params, "chat_id"))
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
            try:
                text = html_to_plain(text)
            except HTMLRejected as error:
                raise BotAPIError(400, f"Bad Request: can't parse entities: {error}") from None
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise BotAPIError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _inline_markup(params: JSON) -> JSON | None:
        """Only inline keyboards are echoed in ``Message.reply_markup``; checks callback_data."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if (
                    data is not None
                    and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)

    def _stored(self, params: JSON, action: str) -> JSON:
        """The stored message itself (not a copy): edits change it in place."""
        chat = self.chat(self._require(params, "chat_id"))
        message_id = int(self._require(params, "message_id"))
        message = self._messages.get(chat["id"], {}).get(message_id)
        if message is None:
            raise BotAPIError(400, f"Bad Request: message to {action} not found")
        return message

    def _editable(self, params: JSON) -> JSON:
        """A stored message the bot sent; only those can be edited."""
        message = self._stored(params, "edit")
        if (message["chat"]["id"], message["message_id"]) not in self._outgoing:
            raise BotAPIError(400, "Bad Request: message can't be edited")
        return message

    # -- methods ---------------------------------------------------------------------------------

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

    async def _send_photo(self, params: JSON) -> JSON:
        """A photo upload: the file part as the session decoded it (``data`` holds its bytes
        when the sender's session kept them), an optional caption checked like a text."""
        chat = self._target_chat(params)
        photo = params.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):  # the upload's form part
            photo = params.get(photo.removeprefix("attach://"))
        if not isinstance(photo, dict) or not photo.get("size", photo.get("data")):
            raise BotAPIError(400, "Bad Request: there is no photo in the request")
        data = photo.get("data")
        if isinstance(data, bytes):  # kept, so getFile and a download give it back
            kept = self.add_file(data, "photos", "photo.png")
            ids = {"file_id": kept["file_id"], "file_unique_id": kept["file_unique_id"]}
        else:
            number = f"{chat['id']}-{self.now()}"
            ids = {"file_id": f"photo-{number}", "file_unique_id": f"p{number}"}
        size = len(data) if isinstance(data, bytes) else int(photo.get("size") or 0)
        width, height = png_size(data) if isinstance(data, bytes) else (0, 0)
        message: JSON = {
            "message_id": self.next_message_id(chat["id"]),
            "date": self.now(),
            "chat": chat,
            "from": dict(self.bot_user),
            # a PhotoSize as aiogram reads it: ids, the size in pixels and in bytes
            "photo": [{**ids, "width": width, "height": height, "file_size": size}],
        }
        if params.get("caption"):
            caption = self._render_text({**params, "text": params["caption"]})
            if utf16_len(caption) > MAX_CAPTION_LENGTH:
                raise BotAPIError(400, "Bad Request: message caption is too long")
            message["caption"] = caption
        if (markup := self._inline_markup(params)) is not None:
            message["reply_markup"] = markup
        self.store_message(message, outgoing=True)
        await self._emit("sent", message, params)
        return copy.deepcopy(message)

    async def _edit_message_text(self, params: JSON) -> JSON:
        message = self._editable(params)
        text = self._render_text(params)
        # Telegram drops the inline keyboard when editMessageText has no reply_markup.
        markup = self._inline_markup(params)
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise BotAPIError(400, NOT_MODIFIED)
        message["text"] = text
        message["edit_date"] = self.now()
        _set_markup(message, markup)
        await self._emit("edited", message, params)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._editable(params)
        markup = self._inline_markup(params)
        if markup == message.get("reply_markup"):
            raise BotAPIError(400, NOT_MODIFIED)
        _set_markup(message, markup)
        message["edit_date"] = self.now()
        await self._emit("edited", message, params)
        return copy.deepcopy(message)

    async def _delete_message(self, params: JSON) -> bool:
        message = self._stored(params, "delete")
        chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
        del self._messages[chat_id][message_id]
        self._outgoing.discard((chat_id, message_id))
        await self._emit("deleted", message, params)
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        self._require(params, "callback_query_id")
        text = str(params.get("text", ""))
        if len(text) > MAX_ALERT_LENGTH:
            raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        if text and self.on_alert is not None:
            self.on_alert(text)
        return True

    def _get_file(self, params: JSON) -> JSON:
        kept = self._files.get(str(self._require(params, "file_id")))
        if kept is None:
            raise BotAPIError(400, "Bad Request: invalid file_id")
        file = kept[0]
        if int(file["file_size"]) > MAX_DOWNLOAD_BYTES:
            raise BotAPIError(400, "Bad Request: file is too big")
        return dict(file)

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

    # -- command menus ---------------------------------------------------------------------------

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code", ""))

    def _set_my_commands(self, params: JSON) -> bool:
        commands = self._require(params, "commands")
        if not isinstance(commands, list) or len(commands) > MAX_MENU_COMMANDS:
            raise BotAPIError(400, "Bad Request: too many commands")
        for command in commands:
            if not COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= MAX_COMMAND_DESCRIPTION:
                raise BotAPIError(400, "Bad Request: command description is invalid")
        self.commands[self._commands_key(params)] = list(commands)
        return True

    def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; (0, 0) for anything else."""
    if data[:8] != PNG_SIGNATURE or len(data) < PNG_HEADER_END:
        return 0, 0
    return int.from_bytes(data[16:20]), int.from_bytes(data[20:24])


def _set_markup(message: JSON, markup: JSON | None) -> None:
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup
