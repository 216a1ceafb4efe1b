"""Who may use the bot and as what: ``REGISTRATION`` and ``DEFAULT_ROLE`` (the ``access``
section of ``core.config.Settings``).

``open`` lets a stranger in at once with ``DEFAULT_ROLE``; ``approval`` registers them as
pending until an admin lets them in (then ``DEFAULT_ROLE``); ``closed`` refuses strangers.
``ADMIN_IDS`` always get in as admins, whatever the mode. A newcomer is never made an admin
by these settings: ``DEFAULT_ROLE`` is trader or viewer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from core.config_base import section_config


class Registration(StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    CLOSED = "closed"


class AccessSettings(BaseSettings):
    """Open + trader is the development default (anyone may try the bot out)."""

    # the same reading as every other section (core.config._config)
    model_config = section_config()

    registration: Registration = Field(default=Registration.OPEN, validation_alias="REGISTRATION")
    default_role: Literal["trader", "viewer"] = Field(
        default="trader", validation_alias="DEFAULT_ROLE"
    )

    @field_validator("registration", "default_role", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value
