"""Telegram's Mini App launch, as Telegram makes it: ``initData`` signed with the bot token and
the URL fragment it opens the app with.

Signing (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the data-check string is every field but ``hash``, as ``key=value`` sorted by key and joined
with newlines; the secret key is HMAC-SHA256 of the bot token keyed with ``"WebAppData"``; the
hash is the hex HMAC-SHA256 of the data-check string under that key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote, urlencode

THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#999999",
        "link_color": "#2481cc",
        "button_color": "#2481cc",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#efeff3",
    },
    "dark": {
        "bg_color": "#212d3b",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#73b9f5",
        "button_color": "#5eb5f7",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#0f1923",
    },
}


def sign_init_data(
    bot_token: str,
    user: dict[str, Any],
    *,
    auth_date: int | None = None,
    query_id: str = "AAHdF6IQAAAAAN0XohDhrOrc",
) -> str:
    """The ``initData`` query string Telegram hands the app for ``user``."""
    fields = {
        "query_id": query_id,
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


def tamper(init_data: str, **changes: str) -> str:
    """The same initData with fields changed and the hash left as it was (a forgery)."""
    pairs = [pair.split("=", 1) for pair in init_data.split("&")]
    fields = {key: value for key, value in pairs}
    for key, value in changes.items():
        fields[key] = quote(value, safe="")
    return "&".join(f"{key}={value}" for key, value in fields.items())


def launch_url(base: str, init_data: str, theme: str = "light") -> str:
    """``base`` opened as Telegram opens a Mini App: its launch parameters in the fragment."""
    fragment = {
        "tgWebAppData": init_data,
        "tgWebAppVersion": "8.0",
        "tgWebAppPlatform": "android",
        "tgWebAppThemeParams": json.dumps(THEMES[theme], separators=(",", ":")),
    }
    return f"{base}#{urlencode(fragment, quote_via=quote)}"
