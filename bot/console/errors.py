"""The Bot API's error answer, as the console's emulator raises it.

`BotAPIError` carries what Telegram puts in ``{"ok": false, ...}``; the session hands that body to
aiogram's real ``check_response``, so the bot sees the exception production would raise
(``TelegramBadRequest``, ``TelegramForbiddenError``, ...). Descriptions are Telegram's wording,
because handlers and tests match on them.
"""

from __future__ import annotations

from typing import Any, Final

CHAT_NOT_FOUND: Final = "Bad Request: chat not found"
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class BotAPIError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> dict[str, Any]:
        """The JSON body Telegram answers with for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body
