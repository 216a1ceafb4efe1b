"""Signal parser: reads what channels post and returns a ``ParseResult``.

``parse(text)`` is the pure rules parser (never raises); ``ai.AIParser`` and
``ai.parse_with_fallback`` add the optional model fallback.
"""

from __future__ import annotations

from services.signal_parser.model import ParseResult, UpdateInfo
from services.signal_parser.normalize import normalize, numbers_in
from services.signal_parser.rules import parse_rules


def parse(text: str) -> ParseResult:
    """Parse one channel post with the rules. Never raises; see ``ParseResult``."""
    return parse_rules(text)


__all__ = ["ParseResult", "UpdateInfo", "normalize", "numbers_in", "parse"]
