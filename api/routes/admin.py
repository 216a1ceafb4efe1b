"""Admin reads and changes: users (paged), a user's role, bans, the audit trail, system counts.

Users are named by their Telegram id, as in the chat's /role and /ban, and every change goes
through the same ``AdminService`` as those commands (services/admin/): the same rules for an
unknown id (a row holds the decision), the same no-op answer, the same audit entry.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Deps, allow, need
from api.errors import refusals
from api.routes.reads import Cursor, Limit, cursor_id
from api.schemas import (
    AuditOut,
    AuditPage,
    BanIn,
    RoleIn,
    StatsOut,
    UserChangeOut,
    UserOut,
    UserPage,
)
from core.domain import Role
from services.api_auth import Principal

router = APIRouter(
    prefix="/admin", tags=["admin"], responses=refusals(400, 401, 403, 404, 422, 429)
)
TelegramId = Annotated[int, Path(ge=1, le=2**53, description="the user's Telegram id")]


@router.get("/users", summary="Users by id; q matches a username or a Telegram id")
async def users(
    deps: Deps,
    principal: Annotated[Principal, allow("users.manage")],
    q: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> UserPage:
    views, after = await deps.catalog.users(
        principal.user, after=cursor_id(cursor), limit=limit, query=q
    )
    return UserPage(
        items=[UserOut.of(v) for v in views], next_cursor=None if after is None else str(after)
    )


@router.post("/users/{telegram_id}/role", summary="Give a user a role (as /grant)")
async def set_role(
    telegram_id: TelegramId,
    body: RoleIn,
    deps: Deps,
    principal: Annotated[Principal, allow("users.manage", write=True)],
) -> UserChangeOut:
    users = need(deps.admin).users
    return UserChangeOut.of_change(
        await users.set_role(principal.user, telegram_id, Role(body.role))
    )


@router.post("/users/{telegram_id}/ban", summary="Ban or unban a user (as /ban, /unban)")
async def ban(
    telegram_id: TelegramId,
    body: BanIn,
    deps: Deps,
    principal: Annotated[Principal, allow("users.manage", write=True)],
) -> UserChangeOut:
    users = need(deps.admin).users
    return UserChangeOut.of_change(
        await users.set_banned(principal.user, telegram_id, body.banned)
    )


@router.get("/audit", summary="The latest audit entries, newest first")
async def audit(
    deps: Deps,
    principal: Annotated[Principal, allow("audit.read")],
    limit: Limit = 50,
) -> AuditPage:
    lines = await need(deps.admin).audit.recent(principal.user, limit=limit)
    return AuditPage(items=[AuditOut.of(line) for line in lines])


@router.get("/stats", summary="Users, signals, plans, orders and queue depths")
async def stats(deps: Deps, principal: Annotated[Principal, allow("system.stats")]) -> StatsOut:
    return StatsOut.of(await need(deps.admin).stats.stats(principal.user))
