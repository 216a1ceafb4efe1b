"""The API's JSON shapes and how service views become them.

Numbers that are money, prices, amounts, rates or R are JSON *strings* holding a decimal
(``"0.5"``), never floats: the bot keeps them as ``Decimal`` end to end and so do clients that
parse them. ``Dec`` marks them in the OpenAPI document. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.admin.dto import AuditLine, SystemStats, UserChange
from services.api_auth import Principal, TokenPair
from services.dto import UserView

Dec = Annotated[
    str,
    Field(
        description="A decimal number as a string (exact; never a float)",
        examples=["0.25"],
        pattern=r"^-?\d+(\.\d+)?$",
    ),
]
DecIn = Annotated[
    str,
    Field(
        description="A positive decimal number as a string",
        examples=["0.01"],
        pattern=r"^\d{1,20}(\.\d{1,18})?$",
        max_length=40,
    ),
]


def dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def req_dec(value: Decimal) -> str:
    return format(value, "f")


# -- auth ------------------------------------------------------------------------------------


class KeyIn(BaseModel):
    api_key: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class RevokeIn(BaseModel):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=256)


class WebAppIn(BaseModel):
    init_data: str = Field(min_length=1, max_length=4096)


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int = Field(description="seconds the access token lives")

    @classmethod
    def of(cls, pair: TokenPair) -> TokenOut:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


class RevokedOut(BaseModel):
    revoked: bool


# -- me, users -------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    role: str
    is_banned: bool

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        return cls(
            id=user.id,
            telegram_id=user.telegram_id,
            username=user.username,
            first_name=user.first_name,
            role=user.role.value,
            is_banned=user.is_banned,
        )


class MeOut(UserOut):
    scope: str = Field(description="read | trade | webapp")
    live: bool = Field(description="live orders go out without a Telegram Confirm")

    @classmethod
    def of_principal(cls, principal: Principal) -> MeOut:
        base = UserOut.of(principal.user).model_dump()
        return cls(**base, scope=principal.scope.value, live=principal.live)


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class RoleIn(BaseModel):
    role: Literal["admin", "trader", "viewer", "api_user"]


class BanIn(BaseModel):
    banned: bool = True


class UserChangeOut(UserOut):
    changed: bool = Field(description="false: it was so already; nothing written or audited")
    created: bool = Field(description="the id was unknown: a row now holds the decision")

    @classmethod
    def of_change(cls, change: UserChange) -> UserChangeOut:
        base = UserOut.of(change.user).model_dump()
        return cls(**base, changed=change.changed, created=change.created)


class AuditOut(BaseModel):
    created_at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, str]

    @classmethod
    def of(cls, line: AuditLine) -> AuditOut:
        return cls(
            created_at=line.created_at,
            actor=line.actor,
            action=line.action,
            target=line.target,
            details=dict(line.details),
        )


class AuditPage(BaseModel):
    items: list[AuditOut]


class StatsOut(BaseModel):
    """The admins' /stats (today: the UTC day; process figures: the serving process)."""

    users: int
    active_today: int
    signals_today: int
    parser_fallback_rate: Dec | None
    plans_open: int
    orders_today: int
    errors: int
    outbox_pending: int
    outbox_failed_today: int
    inbox_pending: int
    inbox_failed: int
    p99_seconds: Dec | None
    handled: int

    @classmethod
    def of(cls, stats: SystemStats) -> StatsOut:
        def figure(value: float | None) -> str | None:
            return None if value is None else format(Decimal(str(value)), "f")

        return cls(
            users=stats.users,
            active_today=stats.active_today,
            signals_today=stats.signals_today,
            parser_fallback_rate=figure(stats.parser_fallback_rate),
            plans_open=stats.plans_open,
            orders_today=stats.orders_today,
            errors=stats.errors,
            outbox_pending=stats.outbox_pending,
            outbox_failed_today=stats.outbox_failed_today,
            inbox_pending=stats.inbox_pending,
            inbox_failed=stats.inbox_failed,
            p99_seconds=figure(stats.p99_seconds),
            handled=stats.handled,
        )


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
