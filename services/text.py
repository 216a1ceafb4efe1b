"""Telegram-sized chunks of outgoing text, for the outbox (``services/notifications.py``).

``split_message`` only knows that the text is already Telegram HTML: it cuts between lines and
never inside an entity such as ``&amp;``; it renders nothing. Escaping belongs to the renderers
(``handlers/html.escape``); the ``escape`` here serves only ``services/trading.order_headline``
and goes when that headline moves to ``handlers/trading_render.py``.
"""

from __future__ import annotations

import html
from typing import Final

TELEGRAM_TEXT_LIMIT: Final = 4096


def escape(value: object) -> str:
    """Escape text for Telegram's HTML parse mode (same rule as ``handlers.html.escape``)."""
    return html.escape(str(value), quote=False)


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split on line boundaries into chunks of at most ``limit`` characters.

    A single line longer than the limit is cut hard (rare: a wall of text without newlines),
    never in the middle of an HTML entity such as ``&amp;``.
    """
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for whole_line in text.splitlines(keepends=True):
        line = whole_line
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = limit
            amp = line.rfind("&", max(0, cut - 8), cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp
            chunks.append(line[:cut])
            line = line[cut:]
        if len(current) + len(line) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return [chunk.rstrip("\n") or chunk for chunk in chunks]
