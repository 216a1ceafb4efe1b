"""The optional services that tell the operators (the ``smtp`` and ``sentry`` sections of
``core.config.Settings``): e-mail to the admins for critical events, and Sentry error reports.

Both are off by default: e-mail needs ``SMTP_HOST`` and at least one ``SMTP_TO`` address,
Sentry needs ``SENTRY_DSN``. Passwords and the DSN are ``SecretStr`` (never printed).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from core.config_base import section_config


class SmtpSettings(BaseSettings):
    """E-mail to the admins for critical events (a stuck outbox, an exchange's circuit opening,
    a stored key that no longer decrypts, a long outage)."""

    model_config = section_config()

    host: str | None = Field(default=None, validation_alias="SMTP_HOST")
    port: int = Field(default=587, ge=1, le=65535, validation_alias="SMTP_PORT")
    user: str | None = Field(default=None, validation_alias="SMTP_USER")
    password: SecretStr | None = Field(default=None, validation_alias="SMTP_PASSWORD")
    sender: str = Field(default="tsbot@localhost", validation_alias="SMTP_FROM")
    to: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias="SMTP_TO")
    # STARTTLS after connecting (port 587), or TLS from the first byte (port 465): not both
    starttls: bool = Field(default=True, validation_alias="SMTP_STARTTLS")
    tls: bool = Field(default=False, validation_alias="SMTP_TLS")
    timeout_s: float = Field(default=10, gt=0, le=120, validation_alias="SMTP_TIMEOUT")
    # one mail per event kind (and subject, e.g. the exchange) per this many minutes
    dedupe_min: int = Field(default=60, ge=1, validation_alias="ALERT_DEDUPE_MINUTES")
    # outbox rows still unsent this long after being queued count as a stuck outbox
    outbox_stuck_min: int = Field(default=15, ge=1, validation_alias="ALERT_OUTBOX_STUCK_MINUTES")

    @field_validator("host", "user", mode="before")
    @classmethod
    def _empty_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("password")
    @classmethod
    def _empty_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @field_validator("to", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpSettings:
        if self.tls and self.starttls:
            # SMTP_TLS wins: implicit TLS already encrypts, STARTTLS would fail on it
            self.starttls = False
        return self

    @property
    def enabled(self) -> bool:
        return self.host is not None and bool(self.to)


class SentrySettings(BaseSettings):
    """Error reports to Sentry, scrubbed like the logs."""

    model_config = section_config()

    dsn: SecretStr | None = Field(default=None, validation_alias="SENTRY_DSN")
    environment: str | None = Field(default=None, validation_alias="SENTRY_ENVIRONMENT")
    traces_sample_rate: float = Field(
        default=0.0, ge=0, le=1, validation_alias="SENTRY_TRACES_SAMPLE_RATE"
    )

    @field_validator("dsn")
    @classmethod
    def _dsn_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("must look like https://<key>@<host>/<project id>")
        return value

    @property
    def enabled(self) -> bool:
        return self.dsn is not None
