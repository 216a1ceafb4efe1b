"""Fixtures for the fake Bot API tests: a loopback server with a real HTTP bot, and the
in-process `RecordingBotAPI` (the console's emulator plus recording) with a `LocalSession` bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.console.session import LocalSession
from tests.fakes.bot_api import FakeUpdateFactory, RecordingBotAPI
from tests.fakes.telegram_api import FakeTelegramAPI


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as server:
        yield server


@pytest.fixture
async def http_bot(fake_server: FakeTelegramAPI) -> AsyncIterator[Bot]:
    bot = fake_server.make_bot()
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.fixture
def local_api() -> RecordingBotAPI:
    return RecordingBotAPI(clock=lambda: 1_700_000_000)


@pytest.fixture
def updates(local_api: RecordingBotAPI) -> FakeUpdateFactory:
    return FakeUpdateFactory(local_api)


@pytest.fixture
async def local_bot(local_api: RecordingBotAPI) -> AsyncIterator[Bot]:
    bot = Bot("42:TEST", session=LocalSession(local_api))
    try:
        yield bot
    finally:
        await bot.session.close()
