"""Signal parser: reads what channels post and returns a ``ParseResult``.

``parse(text)`` is the pure rules parser (never raises); ``ai.AIParser`` and
``ai.parse_with_fallback`` add the optional model fallback. The hot modules run compiled by
mypyc when ``make install`` could build them from these very sources (``native``).
"""

from __future__ import annotations

from services.signal_parser import native

native.activate(__path__)  # before any module below is imported

from services.signal_parser.model import ParseResult, UpdateInfo  # noqa: E402 - after activate
from services.signal_parser.normalize import normalize, numbers_in  # noqa: E402
from services.signal_parser.rules import parse_rules  # noqa: E402


def parse(text: str) -> ParseResult:
    """Parse one channel post with the rules. Never raises; see ``ParseResult``."""
    return parse_rules(text)


__all__ = ["ParseResult", "UpdateInfo", "normalize", "numbers_in", "parse"]
