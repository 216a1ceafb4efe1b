"""The Mini App's initData check against Telegram's documented construction, written out here
independently of the code under test: secret_key = HMAC_SHA256(key="WebAppData",
msg=bot_token); hash = hex HMAC_SHA256(secret_key, data_check_string), the data-check string
being every other field as key=value, sorted, joined by newlines."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from services.api_auth import NotAuthenticated
from services.api_auth.webapp import verify_init_data

TOKEN = "123456:" + "T" * 35
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def telegram_signed(fields: dict[str, str], token: str = TOKEN) -> str:
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in {**fields, "hash": digest}.items())


def fields(**extra: str) -> dict[str, str]:
    user = {"id": 42, "first_name": "Ann & Bob", "username": "ann", "language_code": "en"}
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int((NOW - timedelta(minutes=5)).timestamp())),
        **extra,
    }


def test_telegrams_construction_is_accepted() -> None:
    user = verify_init_data(telegram_signed(fields()), TOKEN, now=NOW, max_age=HOUR)
    assert (user.telegram_id, user.username, user.first_name) == (42, "ann", "Ann & Bob")


def test_fields_telegram_adds_later_are_signed_too() -> None:
    data = telegram_signed(fields(signature="abc", chat_type="private"))
    assert verify_init_data(data, TOKEN, now=NOW, max_age=HOUR).telegram_id == 42


@pytest.mark.parametrize(
    "data",
    [
        telegram_signed(fields(), token="654321:" + "U" * 35),  # another bot's
        telegram_signed(fields()).replace("ann", "eve"),  # edited after signing
        telegram_signed(fields()).split("&hash=")[0],  # unsigned
        telegram_signed(fields(auth_date=str(int((NOW - HOUR).timestamp()) - 1))),  # stale
        telegram_signed(fields(auth_date="soon")),
        telegram_signed({"auth_date": str(int(NOW.timestamp()))}),  # no user
        "%%%",
        "",
    ],
    ids=["other-bot", "edited", "unsigned", "stale", "bad-date", "no-user", "garbage", "empty"],
)
def test_anything_else_is_refused(data: str) -> None:
    with pytest.raises(NotAuthenticated):
        verify_init_data(data, TOKEN, now=NOW, max_age=HOUR)
