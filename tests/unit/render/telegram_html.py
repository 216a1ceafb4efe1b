"""What Telegram shows for a rendered message, and the hostile text the render tests feed in.

``shown`` runs the console emulator's check of Telegram's HTML parse mode, so a renderer that
forgets to escape (or escapes twice) fails here exactly as it would fail against the Bot API.
"""

from __future__ import annotations

from typing import Final

import pytest

from bot.console.html_check import html_to_plain
from services.text import TELEGRAM_TEXT_LIMIT, split_message

# Markup, an entity that must stay literal, a stray closing tag and a quote, all in one name.
HOSTILE: Final = "<script>alert('x')</script> & </b> &amp; \"q\" <b>"
# A wall of the same, far over one message: outbox texts with it are split, never broken.
LONG: Final = " ".join([HOSTILE] * 120)
HOSTILE_TEXTS: Final = [pytest.param(HOSTILE, id="markup"), pytest.param(LONG, id="long")]


def shown(html: str) -> str:
    """The plain text a Telegram client shows for ``html``; fails when Telegram would refuse it."""
    return html_to_plain(html)


def chunks_shown(html: str) -> list[str]:
    """``html`` as the outbox sends it: each Telegram-sized chunk valid on its own, shown."""
    chunks = split_message(html)
    assert all(len(chunk) <= TELEGRAM_TEXT_LIMIT for chunk in chunks)
    return [shown(chunk) for chunk in chunks]


def assert_shows(html: str, text: str) -> None:
    """``html`` is valid Telegram HTML and shows ``text`` exactly as it was written."""
    assert text in shown(html), html[:300]
    assert text in "".join(chunks_shown(html))


def whole(text: str) -> str:
    """The hostile text is shown in full."""
    return text


def first_32(text: str) -> str:
    """The renderer shows only the first 32 characters (a name echoed back in a refusal)."""
    return text[:32]
