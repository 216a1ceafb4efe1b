"""The time zone a user reads their reports in: what ``/settings tz`` accepts and how it is kept.

Stored in ``User.settings["tz"]`` as a canonical name: an IANA key as the tz database spells it
(``Europe/Berlin``, whatever case was typed) or a fixed offset ``UTC+05:30`` / ``UTC-03:00``
(whole hours or minutes, from UTC-12 to UTC+14); ``UTC`` when none is set. ``parse_zone``
refuses anything else with a ``UserError`` (the caller stores nothing then); ``zone_of`` turns a
stored name back into a ``tzinfo`` and reads a name it does not know (a tz database that lost a
key) as UTC rather than failing a report.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo, available_timezones

from core.errors import UserError

DEFAULT_ZONE: Final = "UTC"
SETTING_KEY: Final = "tz"
MIN_OFFSET: Final = timedelta(hours=-12)
MAX_OFFSET: Final = timedelta(hours=14)
_OFFSET_RE: Final = re.compile(
    r"^(?:UTC|GMT)\s*(?P<sign>[+-])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$", re.IGNORECASE
)
_UTC_WORDS: Final = frozenset({"utc", "gmt", "z", "utc+0", "utc-0", "gmt+0", "gmt-0"})
HINT: Final = "Send a city zone such as Europe/Berlin or America/New_York, or an offset: UTC+3."


@cache
def _known_zones() -> dict[str, str]:
    """Every IANA key the tz database has, by its lower-case spelling."""
    return {key.casefold(): key for key in available_timezones()}


def parse_zone(text: str) -> str:
    """The canonical name of the zone ``text`` names; ``UserError`` saying what to send when
    it names none."""
    typed = text.strip()
    if not typed:
        raise UserError(f"Which time zone? {HINT}")
    if typed.casefold() in _UTC_WORDS:
        return DEFAULT_ZONE
    offset = _OFFSET_RE.match(typed)
    if offset is not None:
        return _offset_name(typed, offset)
    key = _known_zones().get(typed.casefold())
    if key is None:
        raise UserError(f"I don't know the time zone {typed[:40]!r}. {HINT}")
    return key


def _offset_name(typed: str, match: re.Match[str]) -> str:
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    shift = timedelta(hours=hours, minutes=minutes) * (-1 if match["sign"] == "-" else 1)
    if minutes >= 60 or not MIN_OFFSET <= shift <= MAX_OFFSET:
        raise UserError(
            f"{typed[:20]!r} is not an offset a clock uses: from UTC-12 to UTC+14. {HINT}"
        )
    if not shift:
        return DEFAULT_ZONE
    sign = "-" if shift < timedelta(0) else "+"
    total = abs(int(shift.total_seconds())) // 60
    return f"UTC{sign}{total // 60:02d}:{total % 60:02d}"


def zone_of(name: str | None) -> tzinfo:
    """The ``tzinfo`` of a stored zone name (UTC for None or a name no longer known)."""
    if not name or name == DEFAULT_ZONE:
        return UTC
    try:
        canonical = parse_zone(name)
    except UserError:
        return UTC
    if canonical.startswith("UTC"):
        sign = -1 if canonical[3] == "-" else 1
        hours, minutes = int(canonical[4:6]), int(canonical[7:9])
        return timezone(sign * timedelta(hours=hours, minutes=minutes), canonical)
    return ZoneInfo(canonical)
