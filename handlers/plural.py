"""Counts in replies: ``1 follower``, ``2 followers``, ``0 followers``, ``1,204 signals``.

The one rule every text with a count follows (no "follower(s)"): English plurals, the count
grouped by thousands. A noun whose plural is not noun + "s" passes it (``plural(n, "entry",
"entries")``).
"""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless ``count`` is exactly one."""
    word = noun if count == 1 else (many or f"{noun}s")
    return f"{count:,} {word}"
