"""The console's Bot API emulator with what only tests need: recording and fault injection.

`RecordingBotAPI` extends `bot.console.api.LocalBotAPI` (same state, same checks, same answers)
with every call recorded before it is answered (`calls`, `calls_of`, `last`, `wait_for`), errors
queued per method (`fail`: 429 with ``retry_after``, 403, 5xx ...; each answers one call
instead of the emulator), users who blocked the bot (`block`), strict chat lookup (an unknown
group is "chat not found"), webhook state, and the Bot API methods the bot itself never calls
(reading command menus, administrators, pinning, ...), which the fake's own tests exercise.
`FakeUpdateFactory` adds the update kinds only tests send. `tests/fakes/telegram_api.py` serves
a `RecordingBotAPI` over HTTP.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from bot.console.api import LocalBotAPI, MessageEventKind, MessageHook
from bot.console.errors import CHAT_NOT_FOUND, BotAPIError
from bot.console.updates import UpdateFactory

JSON = dict[str, Any]

BLOCKED: Final = "Forbidden: bot was blocked by the user"
ERROR_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "Bad Request: bad request",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def make_error(
    code: int, description: str | None = None, retry_after: int | None = None
) -> BotAPIError:
    """Build a `BotAPIError` with Telegram's usual description for `code` when none is given."""
    if code == 429:
        retry_after = 1 if retry_after is None else retry_after
        description = description or f"Too Many Requests: retry after {retry_after}"
    return BotAPIError(code, description or ERROR_DESCRIPTIONS.get(code, "Error"), retry_after)


class RecordingBotAPI(LocalBotAPI):
    """`LocalBotAPI` with recording, fault injection and the state only tests look at.

    Every call is recorded in `calls` before it is answered; a fault queued with `fail()` answers
    the next call of its method instead of the emulator."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        on_message: MessageHook | None = None,
        strict_chats: bool = False,
    ) -> None:
        super().__init__(clock=clock, on_message=on_message)
        self.strict_chats = strict_chats
        self.calls: list[tuple[str, JSON]] = []
        self.blocked: set[int] = set()
        self.webhook: JSON = {}
        self._faults: dict[str, deque[BotAPIError]] = {}
        self._changed = asyncio.Event()
        self._handlers.update(
            {
                "deletemessages": self._delete_messages,
                "getchatadministrators": self._get_chat_administrators,
                "getchatmembercount": self._get_chat_member_count,
                "setwebhook": self._set_webhook,
                "deletewebhook": self._delete_webhook,
                "getwebhookinfo": self._get_webhook_info,
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
        )

    # -- recording -------------------------------------------------------------------------------

    async def call(self, method: str, params: JSON) -> Any:
        self.record(method, params)
        if (fault := self.pop_fault(method)) is not None:
            raise fault
        return await super().call(method, params)

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

    async def _emit(self, kind: MessageEventKind, message: JSON, params: JSON) -> None:
        await super()._emit(kind, message, params)
        self.notify()

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

    def messages(self, chat_id: int, *, include_incoming: bool = False) -> list[JSON]:
        """Messages the bot sent to `chat_id` (current state, after edits/deletes), oldest first;
        `include_incoming=True` adds the ones users/channels posted."""
        return [
            message
            for message_id in sorted(self._messages.get(chat_id, {}))
            if include_incoming or (chat_id, message_id) in self._outgoing
            if (message := self.message(chat_id, message_id)) is not None
        ]

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

    def block(self, user_id: int) -> None:
        """Make every send to `user_id` fail with 403 "bot was blocked by the user"."""
        self.blocked.add(user_id)

    def _target_chat(self, params: JSON) -> JSON:
        chat = self.chat(self._require(params, "chat_id"))
        if chat["type"] == "private" and chat["id"] in self.blocked:
            raise BotAPIError(403, BLOCKED)
        return super()._target_chat(params)

    def _unknown_group(self, chat_id: int) -> JSON:
        if self.strict_chats:
            raise BotAPIError(400, CHAT_NOT_FOUND)
        return super()._unknown_group(chat_id)

    # -- methods the bot does not call -----------------------------------------------------------

    def _true(self, params: JSON) -> bool:
        return True

    def _true_for_chat(self, params: JSON) -> bool:
        self._target_chat(params)
        return True

    async def _delete_messages(self, params: JSON) -> bool:
        chat = self.chat(self._require(params, "chat_id"))
        for message_id in self._require(params, "message_ids"):
            if self.message(chat["id"], int(message_id)) is not None:
                await self._delete_message({"chat_id": chat["id"], "message_id": message_id})
        return True

    def _members_of(self, chat_id: int, statuses: set[str]) -> list[int]:
        return [
            user_id
            for (member_chat, user_id), status in self.members.items()
            if member_chat == chat_id and status in statuses
        ]

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self.chat(self._require(params, "chat_id"))
        if chat["type"] == "private":
            raise BotAPIError(400, "Bad Request: there are no administrators in the private chat")
        admins = self._members_of(chat["id"], {"creator", "administrator"})
        return [self.chat_member(chat["id"], user_id) for user_id in admins]

    def _get_chat_member_count(self, params: JSON) -> int:
        chat = self.chat(self._require(params, "chat_id"))
        if chat["type"] == "private":
            return 2
        present = {"creator", "administrator", "member", "restricted"}
        return len(self._members_of(chat["id"], present))

    def _leave_chat(self, params: JSON) -> bool:
        chat = self.chat(self._require(params, "chat_id"))
        self.set_member(chat["id"], self.bot_id, "left")
        return True

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

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return list(self.commands.get(self._commands_key(params), []))


class FakeUpdateFactory(UpdateFactory):
    """`UpdateFactory` plus the update kinds only tests send."""

    def edited_channel_post(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        title: str | None = None,
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
        message.pop("entities", None)  # the old text's entities do not fit the new one
        self.api.store_message(message)
        return self._update(edited_channel_post=message)
