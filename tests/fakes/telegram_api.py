"""Fake Telegram Bot API server on loopback, for driving real aiogram over HTTP.

`FakeTelegramAPI` serves ``POST /bot{token}/{method}`` from a `RecordingBotAPI` (the console's
emulator with recording and fault injection, `tests/fakes/bot_api.py`) and adds what only a
server has: the `getUpdates` queue with long polling and ``allowed_updates`` filtering, form /
multipart / JSON decoding, the token check, holding a method mid-request, and file downloads
(``GET /file/bot{token}/{file_path}``, recorded as ``download``).
`RecordingSession` is the socket-free variant with the same recording API.

    async with FakeTelegramAPI() as telegram_api:
        bot = telegram_api.make_bot()          # Bot("42:TEST", session=AiohttpSession(...))
        telegram_api.feed(telegram_api.updates.message(7, "/start"))
        await telegram_api.wait_for("sendMessage")
"""

from __future__ import annotations

import asyncio
import json
import socket
from types import TracebackType
from typing import Any, Final, Self

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from bot.console.errors import BotAPIError
from bot.console.session import LocalSession
from tests.fakes.bot_api import FakeUpdateFactory, RecordingBotAPI

JSON = dict[str, Any]

DEFAULT_TOKEN: Final = "42:TEST"
MAX_UPDATES_LIMIT: Final = 100
# Telegram's default when allowed_updates is an empty list.
DEFAULT_ALLOWED_EXCLUDES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
# Form fields that stay strings even when they look like numbers or JSON.
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


class LoopbackSession(AiohttpSession):
    """`AiohttpSession` without the 250 ms graceful-SSL-shutdown sleep in `close()`: the fake
    server is plain HTTP on loopback, so there is nothing to wait for."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def update_type(update: JSON) -> str:
    """The update's payload key (`message`, `callback_query`, ...)."""
    return next((key for key in update if key != "update_id"), "unknown")


class Recording:
    """The recording and fault-injection API, delegated to a `RecordingBotAPI` (`_recorder`)."""

    @property
    def _recorder(self) -> RecordingBotAPI:
        raise NotImplementedError

    @property
    def calls(self) -> list[tuple[str, JSON]]:
        return self._recorder.calls

    def calls_of(self, method: str) -> list[JSON]:
        """Params of every recorded call of `method`, oldest first."""
        return self._recorder.calls_of(method)

    def last(self, method: str) -> JSON:
        """Params of the latest call of `method`; raises LookupError when there was none."""
        return self._recorder.last(method)

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the deadline is part of the public API
    ) -> list[JSON]:
        """Wait until `count` calls of `method` were recorded; raises TimeoutError otherwise."""
        return await self._recorder.wait_for(method, count=count, timeout=timeout)

    def fail(
        self,
        method: str,
        code: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` answer with error `code`."""
        self._recorder.fail(method, code, description, retry_after=retry_after, times=times)


class FakeTelegramAPI(Recording):
    """Bot API over HTTP on 127.0.0.1 (free port), backed by a `RecordingBotAPI`.

    `url` is the base for `TelegramAPIServer.from_base`. Updates queued with `feed()` are served
    by `getUpdates` (offset confirms, `limit`, long polling for `timeout` seconds, and
    `allowed_updates` filtering like Telegram: updates of other types are dropped).
    """

    def __init__(self, *, token: str | None = None) -> None:
        self.api = RecordingBotAPI()
        self.updates = FakeUpdateFactory(self.api)
        self.token = token
        self.pending: list[JSON] = []
        self.dropped: list[JSON] = []
        self.offsets: list[int] = []
        self.allowed_updates: list[str] | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._url: str | None = None
        self._holds: dict[str, asyncio.Event] = {}
        self._abandoned: set[asyncio.Event] = set()

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43817`; raises RuntimeError before `start()`."""
        if self._url is None:
            msg = "FakeTelegramAPI is not started"
            raise RuntimeError(msg)
        return self._url

    async def start(self) -> Self:
        """Bind a free loopback port and start serving."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._closing = False
        return self

    async def close(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._closing = True
        for gate in self._holds.values():
            gate.set()
        self.api.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def make_bot(self, token: str = DEFAULT_TOKEN, **session_kwargs: Any) -> Bot:
        """A real `Bot` talking HTTP to this server (close it: `await bot.session.close()`)."""
        session = LoopbackSession(api=TelegramAPIServer.from_base(self.url), **session_kwargs)
        return Bot(token, session=session)

    # -- updates ---------------------------------------------------------------------------------

    def feed(self, update: JSON) -> None:
        """Queue an update for `getUpdates` and wake a waiting long poll."""
        self.pending.append(update)
        self.api.notify()

    @property
    def _recorder(self) -> RecordingBotAPI:
        return self.api

    def hold(self, method: str) -> asyncio.Event:
        """Hold every call of `method` until the returned event is set (or the server closes):
        the bot is stuck mid-request, as when a process dies half-way."""
        gate = self._holds.setdefault(method.lower(), asyncio.Event())
        return gate

    def release(self, method: str, *, abandon: bool = False) -> None:
        """Let held calls go on; with ``abandon`` they fail as if their caller had died."""
        gate = self._holds.pop(method.lower(), None)
        if gate is not None:
            if abandon:
                self._abandoned.add(gate)
            gate.set()

    def messages(self, chat_id: int, *, include_incoming: bool = False) -> list[JSON]:
        """Messages the bot sent to `chat_id`, current state."""
        return self.api.messages(chat_id, include_incoming=include_incoming)

    # -- HTTP ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if self.token is not None and token != self.token:
            body: JSON = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        try:
            params = await read_params(request)
        except ValueError as error:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            return web.json_response(body, status=400)
        gate = self._holds.get(method.lower())
        if gate is not None:
            self.api.record(f"held:{method}", params)
            await gate.wait()
            if gate in self._abandoned:  # its caller died: the request never took effect
                body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
                return web.json_response(body, status=502)
        if method.lower() == "getupdates":
            status, body = await self._respond_get_updates(params)
        else:
            status, body = await self.api.respond(method, params)
            if body["ok"]:
                self._after(method.lower(), params, body)
        return web.json_response(body, status=status)

    async def _download(self, request: web.Request) -> web.Response:
        """``GET /file/bot{token}/{file_path}``: a kept file's bytes (after getFile)."""
        token, file_path = request.match_info["token"], request.match_info["file_path"]
        self.api.record("download", {"file_path": file_path})
        data = self.api.file_content(file_path)
        if (self.token is not None and token != self.token) or data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="application/octet-stream")

    def _after(self, method: str, params: JSON, body: JSON) -> None:
        """Server-side parts of methods the `RecordingBotAPI` answers: the update queue."""
        if method == "deletewebhook" and params.get("drop_pending_updates"):
            self.dropped.extend(self.pending)
            self.pending.clear()
        elif method == "getwebhookinfo":
            body["result"]["pending_update_count"] = len(self.pending)

    async def _respond_get_updates(self, params: JSON) -> tuple[int, JSON]:
        try:
            result = await self._get_updates(params)
        except BotAPIError as error:
            return error.code, error.to_response()
        return 200, {"ok": True, "result": result}

    async def _get_updates(self, params: JSON) -> list[JSON]:
        self.api.record("getUpdates", params)
        if (fault := self.api.pop_fault("getUpdates")) is not None:
            raise fault
        if self.api.webhook.get("url"):
            raise BotAPIError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        if isinstance(offset, int):
            self.offsets.append(offset)
            self._confirm(offset)
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = params["allowed_updates"]
        limit = min(max(int(params.get("limit") or MAX_UPDATES_LIMIT), 1), MAX_UPDATES_LIMIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while True:
            self._drop_unwanted()
            remaining = deadline - loop.time()
            if self.pending or self._closing or remaining <= 0:
                break
            await self.api.wait_changed(remaining)
        return self.pending[:limit]

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = self.pending[offset:]
        else:
            keep = [update for update in self.pending if update["update_id"] >= offset]
        self.pending = keep

    def _drop_unwanted(self) -> None:
        allowed = self.allowed_updates
        if allowed is None:
            return

        def wanted(update: JSON) -> bool:
            kind = update_type(update)
            return kind in allowed if allowed else kind not in DEFAULT_ALLOWED_EXCLUDES

        self.dropped.extend(update for update in self.pending if not wanted(update))
        self.pending = [update for update in self.pending if wanted(update)]


async def read_params(request: web.Request) -> JSON:
    """Decode a Bot API request: query string plus form-encoded, multipart or JSON body."""
    params: JSON = {key: decode_param(key, value) for key, value in request.query.items()}
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as error:
            msg = "can't parse JSON body"
            raise ValueError(msg) from error
        if not isinstance(body, dict):
            msg = "JSON body must be an object"
            raise ValueError(msg)
        for key, value in body.items():
            looks_nested = isinstance(value, str) and value[:1] in {"{", "["}
            nested = looks_nested and key not in TEXT_FIELDS
            params[key] = decode_param(key, value) if nested else value
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            data = value.file.read()
            params[key] = {
                "filename": value.filename,
                "content_type": value.content_type,
                "size": len(data),
                "data": data,
            }
        else:
            params[key] = decode_param(key, value)
    return params


class RecordingSession(Recording, LocalSession):
    """Socket-free aiogram session with the `FakeTelegramAPI` recording API (for unit tests):
    `Bot("42:TEST", session=RecordingSession())`."""

    def __init__(self, **kwargs: Any) -> None:
        self.recording_api = RecordingBotAPI()
        super().__init__(self.recording_api, **kwargs)
        self.closed = False

    @property
    def _recorder(self) -> RecordingBotAPI:
        return self.recording_api

    async def close(self) -> None:
        self.closed = True
