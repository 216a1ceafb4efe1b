"""Fixtures for the AI fallback: the fake OpenAI server and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from openai import AsyncOpenAI

from tests.fakes.openai_api import FakeOpenAI


class MemoryCache:
    """The ``get_json``/``set_json`` cache interface, in a dict."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.ttls: dict[str, int] = {}

    async def get_json(self, key: str) -> Any | None:
        return self.data.get(key)

    async def set_json(self, key: str, value: Any, ttl_s: int) -> None:
        self.data[key] = value
        self.ttls[key] = ttl_s


@pytest.fixture
async def openai_api() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as api:
        yield api


@pytest.fixture
async def openai_client(openai_api: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(api_key="test", base_url=openai_api.base_url, max_retries=0)
    yield client
    await client.close()


@pytest.fixture
def cache() -> MemoryCache:
    return MemoryCache()
