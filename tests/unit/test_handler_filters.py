"""Filters run inline: magic filters, plain functions (with or without **kwargs), async ones."""

from __future__ import annotations

from typing import Any

from aiogram import F

from handlers.commands import inline_filter


class Event:
    text = "/buy btc"


async def test_magic_filters_resolve_inline() -> None:
    assert await inline_filter(F.text.startswith("/"))(Event()) is True
    assert await inline_filter(F.text == "x")(Event()) is False


async def test_plain_functions_get_only_the_arguments_they_name() -> None:
    def named(message: Event, user: str) -> bool:
        return user == "ann" and message.text.startswith("/buy")

    def anything(message: Event, **data: Any) -> bool:
        return data == {"user": "ann", "bot": 1}

    assert await inline_filter(named)(Event(), user="ann", bot=1) is True
    assert await inline_filter(anything)(Event(), user="ann", bot=1) is True


async def test_async_filters_are_kept_as_they_are() -> None:
    async def already(message: Event) -> bool:
        return True

    assert inline_filter(already) is already
