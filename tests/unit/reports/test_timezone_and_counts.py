"""What /settings tz accepts (and the canonical name it stores), what it refuses, and the
report commands' numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import UserError
from services.reports.service import parse_count
from services.reports.timezone import parse_zone, zone_of


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("  europe/berlin ", "Europe/Berlin"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT+0", "UTC"),
        ("UTC+3", "UTC+03:00"),
        ("utc -5", "UTC-05:00"),
        ("UTC+5:30", "UTC+05:30"),
        ("UTC+0545", "UTC+05:45"),
        ("GMT-12", "UTC-12:00"),
        ("UTC+14", "UTC+14:00"),
        ("UTC-0", "UTC"),
    ],
)
def test_zones_accepted(typed: str, stored: str) -> None:
    assert parse_zone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "Mars/Olympus",
        "Berlin",
        "../../etc/passwd",
        "UTC+15",
        "UTC-13",
        "UTC+3:75",
        "+3",
        "Europe/Berlin; DROP TABLE users",
        "x" * 500,
    ],
)
def test_zones_refused_with_what_to_send(typed: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_zone(typed)
    assert "Europe/Berlin" in refused.value.user_message


@pytest.mark.parametrize(
    ("stored", "offset_in_march"),
    [
        (None, timedelta(0)),
        ("UTC", timedelta(0)),
        ("Asia/Tokyo", timedelta(hours=9)),
        ("UTC-03:30", timedelta(hours=-3, minutes=-30)),
        ("Gone/Zone", timedelta(0)),  # a name the tz database lost reads as UTC
    ],
)
def test_stored_zone_back_to_tzinfo(stored: str | None, offset_in_march: timedelta) -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert at.astimezone(zone_of(stored)).utcoffset() == offset_in_march


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(None, 7), ("", 7), (" 3 ", 3), ("1", 1), ("92", 92)],
)
def test_counts_accepted(typed: str | None, expected: int) -> None:
    assert parse_count(typed, default=7, most=92, what="days") == expected


@pytest.mark.parametrize("typed", ["0", "-1", "93", "3.5", "seven", "12 btc", "١٢"])
def test_counts_refused(typed: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_count(typed, default=7, most=92, what="days")
    assert refused.value.user_message == "Give a number of days from 1 to 92, e.g. 7."
