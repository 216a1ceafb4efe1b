"""Roles and what each may do: the one permissions table (deny by default).

A handler declares what it needs with an aiogram flag, either a role (``Role.TRADER``: that role
or any role ranked above it) or a permission name from ``PERMISSIONS``.
"""

from __future__ import annotations

from typing import Final

from core.domain import Role

# Higher rank includes the rights of lower ranks along the chain admin > trader > viewer.
# api_user is a separate, machine-only role: it has only what is listed for it.
RANK: Final[dict[Role, int]] = {Role.VIEWER: 1, Role.TRADER: 2, Role.ADMIN: 3, Role.API_USER: 0}

PERMISSIONS: Final[dict[str, frozenset[Role]]] = {
    "bot.use": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER, Role.API_USER}),
    "signals.read": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER, Role.API_USER}),
    "signals.forward": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER}),
    "sources.read": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER}),
    "sources.manage": frozenset({Role.ADMIN}),
    "signals.backtest": frozenset({Role.ADMIN}),  # a channel's export, replayed on our candles
    "market.read": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER, Role.API_USER}),
    "trade": frozenset({Role.ADMIN, Role.TRADER}),
    "reports.read": frozenset({Role.ADMIN, Role.TRADER}),  # one's own figures only
    "settings.manage": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER}),  # one's own
    "accounts.manage": frozenset({Role.ADMIN, Role.TRADER}),
    "subscriptions.manage": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER}),
    "users.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN}),
    "broadcast": frozenset({Role.ADMIN}),
    # the REST API with a personal key (/apikey): the machine role, and traders' own scripts;
    # viewers read in the chat and the Mini App only
    "api.access": frozenset({Role.ADMIN, Role.TRADER, Role.API_USER}),
    "webapp.use": frozenset({Role.ADMIN, Role.TRADER, Role.VIEWER, Role.API_USER}),  # Mini App
    "system.stats": frozenset({Role.ADMIN}),
}


def role_allows(role: Role, required: Role | str | None) -> bool:
    """True when ``role`` satisfies a handler's requirement; None (undeclared) is admin-only."""
    if required is None:
        return role is Role.ADMIN
    if isinstance(required, Role):
        if required is Role.API_USER:
            return role in {Role.API_USER, Role.ADMIN}
        if role is Role.API_USER:
            return False
        return RANK[role] >= RANK[required]
    allowed = PERMISSIONS.get(required)
    if allowed is None:
        return role is Role.ADMIN  # unknown permission names: deny all but admins
    return role in allowed
