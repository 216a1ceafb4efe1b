"""The REST API's tables (issue 12): personal API keys, sign-in sessions with their rotating
refresh tokens, and the replies kept for ``Idempotency-Key`` requests. Imported by
``core.db.models``, so the tables are on ``Base.metadata``.

Invariants: no key or token is stored in clear, only its SHA-256 (they are 256-bit random
values, so a fast hash is as good as a slow one and can be looked up); a session is one refresh
token *family*: each refresh uses its token up and adds the next, and a used token presented
again revokes the session (``revoked_at``), which every process sees on its next request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from core.db.base import PK, Base


class ApiKey(Base):
    """A personal API key made with ``/apikey``: ``scope`` read or trade; ``live`` (trade keys
    made with the PIN) lets its orders on live accounts go out without a Telegram Confirm."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in /apikeys to tell keys apart
    scope: Mapped[str] = mapped_column(String(8))
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ApiSession(Base):
    """One sign-in (an API key exchanged, or the Mini App's initData): a refresh-token family.
    Revoking it ends its access tokens at once (they name it and it is read per request)."""

    __tablename__ = "api_sessions"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    family: Mapped[str] = mapped_column(String(32), unique=True)  # the tokens' ``sid``
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(8))  # read | trade | webapp
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class ApiRefreshToken(Base):
    """A refresh token of a session; ``used_at`` set when it was exchanged for the next one."""

    __tablename__ = "api_refresh_tokens"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("api_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ApiIdempotentReply(Base):
    """The reply given to a request with an ``Idempotency-Key``: the same key from the same
    user on the same action gets it again instead of a second action."""

    __tablename__ = "api_idempotent_replies"
    __table_args__ = (
        UniqueConstraint("user_id", "key", "action"),
        Index("ix_api_idempotent_replies_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
