"""Replies that grow with data: lists a page at a time with ◀ ▶ buttons, other long replies
split into Telegram-sized messages, and names clipped before they are echoed in a row.

Telegram refuses a text over 4096 characters ("message is too long"), so a list rendered whole
breaks as soon as there is enough data (30 channels with 128-character titles broke /sources
for every user). Invariants:

- a list reply shows at most ``PAGE_SIZE`` rows; its buttons carry ``PageCallback`` (the list's
  name and a page number, both checked while aiogram unpacks the data, so a forged press falls
  through to the stale-button answer); a page past the end shows the last page;
- each row's names are clipped to ``NAME_LIMIT`` characters (``clip``), so a page fits a
  message whatever the names are;
- any other reply that can grow goes out through ``answer_long``: ``split_message`` chunks,
  each valid HTML by itself, the buttons under the last one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Generic, Literal, TypeVar

from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from pydantic import Field

from services.text import split_message

PAGE_SIZE: Final = 10
MAX_PAGE: Final = 9999  # far past any list we keep; bounds what a forged button may ask for
NAME_LIMIT: Final = 64

PageNumber = Annotated[int, Field(ge=0, le=MAX_PAGE)]
ListName = Literal["sources", "signals", "following"]
Rows = list[list[dict[str, Any]]]
T = TypeVar("T")


class PageCallback(CallbackData, prefix="pg"):
    """◀ / ▶ under a list: which list and which page (0-based) to show."""

    view: ListName
    page: PageNumber


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (0-based) and how many pages there are."""

    items: tuple[T, ...]
    number: int
    count: int

    @property
    def label(self) -> str:
        """ "page 2 of 3", or "" for a list that fits one page."""
        return f"page {self.number + 1} of {self.count}" if self.count > 1 else ""

    def buttons(self, view: ListName) -> Rows:
        """The ◀ ▶ row (only the directions there are pages in), or no row."""
        row = [
            {"text": text, "callback_data": PageCallback(view=view, page=number).pack()}
            for text, number, shown in (
                ("◀", self.number - 1, self.number > 0),
                ("▶", self.number + 1, self.number < self.count - 1),
            )
            if shown
        ]
        return [row] if row else []


def page_of(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """Page ``number`` of ``items`` (the last page when ``number`` is past the end)."""
    count = max(1, -(-len(items) // size))
    number = min(max(number, 0), count - 1)
    return Page(tuple(items[number * size : (number + 1) * size]), number, count)


def clip(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut (before escaping)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows]
    )


async def show_page(event: Message | CallbackQuery, text: str, rows: Rows) -> None:
    """A command's first page is a new message; a page button edits the list in place (an
    unchanged page or a deleted message leaves nothing to do)."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup(rows))
        return
    await event.answer()
    if isinstance(event.message, Message):
        with contextlib.suppress(TelegramAPIError):
            await event.message.edit_text(text, reply_markup=markup(rows))


async def answer_long(message: Message, text: str, rows: Rows | None = None) -> None:
    """Answer with ``text`` in as many messages as it needs, ``rows`` under the last one."""
    chunks = split_message(text)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await message.answer(chunk, reply_markup=markup(rows or []) if last else None)
