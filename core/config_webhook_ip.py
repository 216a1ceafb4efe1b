"""The webhook's optional IP allowlist (the ``webhook_ip`` section of ``core.config.Settings``):
``WEBHOOK_ALLOWED_IPS`` and ``WEBHOOK_TRUSTED_PROXIES``, comma-separated addresses or CIDRs.

The secret token stays the control (T1); the allowlist is defence in depth only, and off by
default (an empty ``WEBHOOK_ALLOWED_IPS``). ``X-Forwarded-For`` is read only from a peer listed
in ``WEBHOOK_TRUSTED_PROXIES``, and only its right-most entries (bot/webhook_ip.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode

from core.config_base import section_config


class WebhookIpSettings(BaseSettings):
    """Which addresses may call the webhook, and which proxies may say who called."""

    # the same reading as every other section (core.config._config)
    model_config = section_config()

    allowed_ips: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list, validation_alias="WEBHOOK_ALLOWED_IPS"
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list, validation_alias="WEBHOOK_TRUSTED_PROXIES"
    )

    @field_validator("allowed_ips", "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value
