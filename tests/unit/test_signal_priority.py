"""Signals first (T14): while a channel post is handled, another update waits to start (at
most the gate's bound), and one running already is not held up; channel posts never wait."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import Chat, Message, Update

from bot.middlewares.priority import SignalPriorityMiddleware

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _update(update_id: int, *, channel: bool) -> Update:
    chat = Chat(id=-100123 if channel else 42, type="channel" if channel else "private")
    message = Message(message_id=update_id, date=NOW, chat=chat, text="x")
    if channel:
        return Update(update_id=update_id, channel_post=message)
    return Update(update_id=update_id, message=message)


async def test_a_chat_update_waits_for_the_running_channel_post() -> None:
    gate = SignalPriorityMiddleware(max_wait_s=60)
    order: list[str] = []
    release = asyncio.Event()
    post_started = asyncio.Event()

    async def post_handler(event: Any, data: Any) -> None:
        post_started.set()
        await release.wait()
        order.append("post done")

    async def chat_handler(event: Any, data: Any) -> None:
        order.append("chat ran")

    async def second_post_handler(event: Any, data: Any) -> None:
        order.append("second post ran")

    post = asyncio.create_task(gate(post_handler, _update(1, channel=True), {}))
    await post_started.wait()
    chat = asyncio.create_task(gate(chat_handler, _update(2, channel=False), {}))
    await gate(second_post_handler, _update(3, channel=True), {})  # posts never wait
    assert order == ["second post ran"]
    assert not chat.done()
    release.set()
    await asyncio.gather(post, chat)
    assert order == ["second post ran", "post done", "chat ran"]


async def test_a_chat_update_waits_at_most_the_bound() -> None:
    gate = SignalPriorityMiddleware(max_wait_s=0.01)
    release = asyncio.Event()
    post_started = asyncio.Event()

    async def post_handler(event: Any, data: Any) -> None:
        post_started.set()
        await release.wait()

    async def chat_handler(event: Any, data: Any) -> str:
        return "answered"

    post = asyncio.create_task(gate(post_handler, _update(1, channel=True), {}))
    await post_started.wait()
    assert await gate(chat_handler, _update(2, channel=False), {}) == "answered"
    release.set()
    await post


async def test_a_failing_channel_post_opens_the_gate() -> None:
    gate = SignalPriorityMiddleware(max_wait_s=60)

    async def broken(event: Any, data: Any) -> None:
        raise RuntimeError("boom")

    async def chat_handler(event: Any, data: Any) -> str:
        return "answered"

    with pytest.raises(RuntimeError, match="boom"):
        await gate(broken, _update(1, channel=True), {})
    assert await asyncio.wait_for(gate(chat_handler, _update(2, channel=False), {}), 5) == (
        "answered"
    )
