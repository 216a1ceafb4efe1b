"""Telegram's WebApp ``initData``, checked the documented way.

``secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)``; the data-check string is every
field but ``hash`` as ``key=value``, sorted by key, joined by newlines; the ``hash`` field must
be the hex ``HMAC_SHA256(secret_key, data_check_string)``. ``auth_date`` must be at most
``max_age`` old (and not from the future beyond a minute of clock skew).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import parse_qsl

from services.api_auth.dto import NotAuthenticated

SKEW: Final = timedelta(minutes=1)
MAX_INIT_DATA: Final = 4096


@dataclass(frozen=True, slots=True)
class WebAppUser:
    telegram_id: int
    username: str | None
    first_name: str | None


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The ``hash`` Telegram would put on ``fields`` (the tests' and the console's signer)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def verify_init_data(
    init_data: str, bot_token: str, *, now: datetime, max_age: timedelta
) -> WebAppUser:
    """The Telegram user ``init_data`` vouches for; ``NotAuthenticated`` when it is forged,
    stale or has no user."""
    if len(init_data) > MAX_INIT_DATA:
        raise NotAuthenticated("That initData is too long.")
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise NotAuthenticated("That initData is not valid.") from None
    given = fields.pop("hash", "")
    if not given or not hmac.compare_digest(sign_init_data(fields, bot_token), given.lower()):
        raise NotAuthenticated("That initData is not signed by this bot.")
    auth_date = fields.get("auth_date", "")
    if not auth_date.isdigit():
        raise NotAuthenticated("That initData has no auth_date.")
    signed_at = datetime.fromtimestamp(int(auth_date), UTC)
    if now - signed_at > max_age or signed_at - now > SKEW:
        raise NotAuthenticated("That initData is too old; open the app again.")
    return _user(fields.get("user"))


def _user(raw: str | None) -> WebAppUser:
    try:
        data = json.loads(raw or "")
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or data["id"] <= 0:
        raise NotAuthenticated("That initData names no Telegram user.")
    username, first_name = data.get("username"), data.get("first_name")
    return WebAppUser(
        telegram_id=data["id"],
        username=username[:64] if isinstance(username, str) else None,
        first_name=first_name[:128] if isinstance(first_name, str) else None,
    )
