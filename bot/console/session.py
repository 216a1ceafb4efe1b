"""The aiogram seam of the console: a `BaseSession` answered by a `LocalBotAPI`, no sockets.

`LocalSession` does what `AiohttpSession` does up to the wire: it serialises each method's
params as ``build_form_data`` would (defaults resolved, enums to values, nested objects to JSON),
decodes them as the server would, and passes the answer through aiogram's real
``check_response``. So the bot is the production `Bot`, and an error is the same aiogram
exception it would be on Telegram (``TelegramRetryAfter``, ``TelegramForbiddenError``, ...).
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from bot.console.api import LocalBotAPI
from bot.console.errors import BotAPIError
from bot.console.state import JSON

if TYPE_CHECKING:
    from aiogram import Bot


class LocalSession(BaseSession):
    """An aiogram session answered in process by `local_api`."""

    def __init__(self, api: LocalBotAPI, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.local_api = api

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
            data = getattr(input_file, "data", None)  # BufferedInputFile: the bytes sent
            params[key] = {
                "filename": getattr(input_file, "filename", None) or key,
                "data": data if isinstance(data, bytes) else None,
                "size": len(data) if isinstance(data, bytes) else None,
            }
        return params

    def _decode(self, value: Any, prepared: Any, bot: Bot) -> Any:
        while isinstance(value, Default | Enum):
            value = bot.default[value.name] if isinstance(value, Default) else value.value
        if isinstance(value, str | InputFile) or not isinstance(prepared, str):
            return prepared  # an upload is "attach://<part>", its part added by build_params
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
        # A download URL ends with the File's file_path: /file/bot<token>/<file_path>
        _, found, file_path = url.partition("/file/bot")
        data = self.local_api.file_content(file_path.partition("/")[2]) if found else None
        if data is None:
            raise BotAPIError(404, "Not Found: no such file")
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    async def close(self) -> None:
        """Nothing to release: there is no connection."""
