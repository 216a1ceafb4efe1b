"""Access tokens: HS256 JWTs that live 15 minutes and name their session (``sid``).

The expiry is checked against the injected clock (PyJWT's own check reads the wall clock), so
tests move time by hand. A token says who and which session; whether that session still holds
(revoked, user banned, role changed) is the service's check on every request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import jwt

from core.clock import Clock, utc_now
from services.api_auth.dto import NotAuthenticated

ACCESS_TTL: Final = timedelta(minutes=15)
ALGORITHM: Final = "HS256"
ISSUER: Final = "tsbot"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    family: str


class AccessTokens:
    """Signs and checks access tokens with one secret (at least 32 bytes in production)."""

    def __init__(self, secret: bytes, clock: Clock = utc_now, ttl: timedelta = ACCESS_TTL):
        self._secret = secret
        self._clock = clock
        self.ttl = ttl

    def issue(self, user_id: int, family: str) -> str:
        now = self._clock()
        claims = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": family,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def check(self, token: str) -> AccessClaims:
        """The claims of a well-signed, unexpired token; ``NotAuthenticated`` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                # times are checked below against the injected clock, not the wall clock
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "sub", "sid", "iss"],
                },
            )
        except jwt.InvalidTokenError:
            raise NotAuthenticated("That access token is not valid; sign in again.") from None
        exp, sub, sid = claims.get("exp"), claims.get("sub"), claims.get("sid")
        if not isinstance(exp, int) or not isinstance(sid, str) or not str(sub).isdigit():
            raise NotAuthenticated("That access token is not valid; sign in again.")
        if self._clock().timestamp() >= exp:
            raise NotAuthenticated("The access token expired; refresh it.")
        return AccessClaims(user_id=int(str(sub)), family=sid)
