"""Files in the Bot API emulator, which /backtest needs: a user's document is kept with its bytes,
getFile answers as Telegram does (20 MB for bots), and a download gives the bytes back, in the
console (``LocalSession.stream_content``) and over HTTP (``FakeTelegramAPI``'s file route)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, Update

from bot.console.api import MAX_DOWNLOAD_BYTES, LocalBotAPI, png_size
from bot.console.session import LocalSession
from bot.console.updates import UpdateFactory
from tests.fakes.telegram_api import FakeTelegramAPI

USER_ID = 7
EXPORT = b'{"name": "Alpha", "messages": []}'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (1200).to_bytes(4) + (800).to_bytes(4)


@pytest.fixture
async def console_bot() -> AsyncIterator[tuple[Bot, LocalBotAPI]]:
    api = LocalBotAPI(clock=lambda: 1_700_000_000)
    bot = Bot("42:TEST", session=LocalSession(api))
    try:
        yield bot, api
    finally:
        await bot.session.close()


def document_update(api: LocalBotAPI, data: bytes, caption: str | None) -> Update:
    raw = UpdateFactory(api).document(USER_ID, data, "result.json", caption)
    return Update.model_validate(raw)


async def test_a_users_document_downloads_in_the_console(
    console_bot: tuple[Bot, LocalBotAPI],
) -> None:
    bot, api = console_bot
    update = document_update(api, EXPORT, "/backtest Alpha")
    message = update.message
    assert message is not None and message.document is not None
    assert (message.caption, message.text) == ("/backtest Alpha", None)
    assert message.caption_entities is not None
    assert message.caption_entities[0].type == "bot_command"
    assert (message.document.file_name, message.document.file_size) == ("result.json", 14 + 19)

    downloaded = await bot.download(message.document)
    assert downloaded is not None and downloaded.read() == EXPORT
    file = await bot.get_file(message.document.file_id)
    assert file.file_path == "documents/file_1.json"


async def test_get_file_refuses_unknown_ids_and_big_files(
    console_bot: tuple[Bot, LocalBotAPI],
) -> None:
    bot, api = console_bot
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")
    big = api.add_file(b"x" * (MAX_DOWNLOAD_BYTES + 1), "documents", "big.json")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(big["file_id"])


async def test_a_sent_photo_is_kept_with_its_size(console_bot: tuple[Bot, LocalBotAPI]) -> None:
    bot, _ = console_bot
    sent = await bot.send_photo(USER_ID, BufferedInputFile(PNG, "chart.png"), caption="Equity")
    assert sent.photo is not None
    [size] = sent.photo
    assert (size.width, size.height, size.file_size) == (1200, 800, len(PNG))
    downloaded = await bot.download(size.file_id)
    assert downloaded is not None and downloaded.read() == PNG
    assert png_size(b"GIF89a") == (0, 0)


async def test_a_document_downloads_over_http(telegram_api: FakeTelegramAPI) -> None:
    bot = telegram_api.make_bot()
    try:
        raw = telegram_api.updates.document(USER_ID, EXPORT * 5000, "result.json", "/backtest")
        message = Update.model_validate(raw).message
        assert message is not None and message.document is not None
        document = message.document
        downloaded = await bot.download(document, chunk_size=4096)
        assert downloaded is not None and downloaded.read() == EXPORT * 5000
        assert telegram_api.calls_of("download") == [{"file_path": "documents/file_1.json"}]
    finally:
        await bot.session.close()
