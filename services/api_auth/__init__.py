"""Sign-in for the REST API and the Mini App (issue 12): personal API keys, access and refresh
tokens, and Telegram's WebApp ``initData``.

- ``keys.py``     ``/apikey`` and ``/apikeys``: keys shown once, stored hashed, scoped, revoked
- ``tokens.py``   access JWTs (HS256, 15 min) signed and checked with an injected clock
- ``webapp.py``   the documented ``initData`` check (HMAC with the bot token, ``auth_date`` age)
- ``service.py``  ``ApiAuthService``: key or initData -> tokens, refresh rotation with reuse
                  detection, revocation, and the principal behind each request
- ``dto.py``      what crosses the boundary (no ORM rows, no hashes)
"""

from __future__ import annotations

from services.api_auth.dto import (
    ApiKeyView,
    NewApiKey,
    NotAuthenticated,
    Principal,
    Scope,
    TokenPair,
)
from services.api_auth.keys import ApiKeyService
from services.api_auth.service import ApiAuthService

__all__ = [
    "ApiAuthService",
    "ApiKeyService",
    "ApiKeyView",
    "NewApiKey",
    "NotAuthenticated",
    "Principal",
    "Scope",
    "TokenPair",
]
