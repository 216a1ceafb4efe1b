"""The Telegram Mini App's menu button (the ``webapp`` section of ``core.config.Settings``).

``WEBAPP_URL`` is the public https address of the Mini App (the API server's ``/app/``, e.g.
``https://bot.example.com/app/``). When set, the bot makes it every private chat's menu button,
labelled "Dashboard", at each start; unset, the bot leaves the menu button alone (one set by
hand with BotFather's ``/setmenubutton`` stays). Telegram only opens https pages.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from core.config_base import section_config


class WebAppSettings(BaseSettings):
    """Where Telegram opens the Mini App from the Dashboard button."""

    model_config = section_config()

    url: str | None = Field(default=None, validation_alias="WEBAPP_URL")

    @field_validator("url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith("https://") or len(value) == len("https://"):
            raise ValueError(
                "must be the Mini App's public https:// address (Telegram opens no other)"
            )
        return value
