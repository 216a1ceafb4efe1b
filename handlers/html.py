"""Telegram's HTML parse mode: the one escaping rule every renderer and reply follows.

Text from users, channels and exchanges goes through ``escape`` before it is placed between
tags; markup the renderers write themselves is never escaped. Only ``&``, ``<`` and ``>`` are
replaced (what Telegram's parser needs; quotes stay as typed), exactly as aiogram's
``html.quote`` does. ``escape`` adds ``str()`` so ids and numbers can be passed as they are.
"""

from __future__ import annotations

from aiogram.utils.text_decorations import html_decoration


def escape(value: object) -> str:
    """Escape any user or channel text for Telegram's HTML parse mode."""
    return html_decoration.quote(str(value))
