"""What the API sign-in hands out: views of keys, token pairs, the principal of a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.errors import UserError
from services.dto import UserView


class Scope(StrEnum):
    """What a token may do. ``read`` sees; ``trade`` also places and cancels orders, closes
    plans and makes admin changes (for admins); ``webapp`` (the Mini App) reads and closes
    plans, the one thing its page can change."""

    READ = "read"
    TRADE = "trade"
    WEBAPP = "webapp"


class NotAuthenticated(UserError):
    """No valid credentials: a missing, malformed, expired or revoked token or key (401)."""

    default_message = "Sign in first: send a valid access token."


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    id: int
    prefix: str  # the key's first characters, to tell keys apart (not enough to use it)
    scope: Scope
    live: bool
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just made: ``secret`` is shown once and stored nowhere in clear."""

    view: ApiKeyView
    secret: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user as the database has them now, and their session's rights."""

    user: UserView
    session_id: int
    scope: Scope
    live: bool  # orders on live accounts go out without a Telegram Confirm
    api_key_id: int | None  # None: the Mini App
