"""A fake OpenAI Chat Completions server on 127.0.0.1 for tests of the AI fallback.

openai 3.x talks through httpx2, so respx cannot intercept it: the fake sits at the real I/O
seam instead. Queue one response per expected request (``answer``, ``fail``, ``refuse``,
``garbage``, ``hang``); every request body is recorded in ``requests``. ``hang`` waits on an
``asyncio.Event`` that is only set when the server stops, so the client's own timeout fires.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web


@dataclass(frozen=True, slots=True)
class _Reply:
    kind: str  # "content" | "error" | "refusal" | "hang"
    body: str = ""
    status: int = 200


class FakeOpenAI:
    """``async with FakeOpenAI() as api: AsyncOpenAI(base_url=api.base_url, ...)``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[_Reply] = deque()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- queueing ---------------------------------------------------------------------------

    def answer(self, content: dict[str, Any] | str) -> None:
        """Queue a structured-output answer (a dict is sent as its JSON text)."""
        body = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        self._replies.append(_Reply("content", body))

    def garbage(self, text: str = "{not json") -> None:
        """Queue an answer whose content is not valid JSON for the schema."""
        self._replies.append(_Reply("content", text))

    def refuse(self, reason: str = "I can't help with that.") -> None:
        self._replies.append(_Reply("refusal", reason))

    def fail(self, status: int = 500) -> None:
        self._replies.append(_Reply("error", status=status))

    def hang(self) -> None:
        """Queue an answer that never comes before the server stops."""
        self._replies.append(_Reply("hang"))

    # -- server -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        reply = self._replies.popleft() if self._replies else _Reply("error", status=500)
        if reply.kind == "hang":
            await self._release.wait()
            return web.json_response({"error": {"message": "server stopped"}}, status=503)
        if reply.kind == "error":
            return web.json_response(
                {"error": {"message": "boom", "type": "server_error", "code": None}},
                status=reply.status,
            )
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if reply.kind == "refusal":
            message["refusal"] = reply.body
        else:
            message["content"] = reply.body
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body.get("model", "fake"),
                "choices": [
                    {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )
