"""Frozen dataclasses that cross the service boundary (ORM objects never leave a service)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain import Access, Role


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    role: Role
    is_banned: bool
    is_active: bool = True
    has_pin: bool = False
    access: Access = Access.GRANTED  # pending or refused: kept out by the auth middleware

    @property
    def display_name(self) -> str:
        if self.username:
            return "@" + self.username
        return self.first_name or str(self.telegram_id)
