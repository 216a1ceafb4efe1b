"""The REST API and the Mini App's sign-in (the ``api`` section of ``core.config.Settings``).

``tsbot api`` serves the API alone on ``API_HOST:API_PORT`` (loopback by default); ``tsbot run``
serves it in the same process when ``API_ENABLED`` is true. Access tokens are JWTs signed with
``API_JWT_SECRET`` (HS256): in development a missing secret is made up at start (tokens then
die with the process); in production, serving the API requires it, at least 32 bytes
(``production_problems``). CORS is off unless ``CORS_ORIGINS`` names the allowed origins.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from core.config_base import section_config

MIN_JWT_SECRET_BYTES: Final = 32
JWT_SECRET_EXAMPLE: Final = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 - how to make one


class ApiSettings(BaseSettings):
    """Where the API listens, how its tokens are signed, who may call it from a browser."""

    model_config = section_config()

    enabled: bool = Field(default=False, validation_alias="API_ENABLED")
    host: str = Field(default="127.0.0.1", validation_alias="API_HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="API_PORT")
    jwt_secret: SecretStr | None = Field(default=None, validation_alias="API_JWT_SECRET")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="CORS_ORIGINS"
    )
    # requests per minute per token (sustained) and the burst allowed on top
    rate_per_minute: int = Field(default=120, ge=1, validation_alias="API_RATE_LIMIT_PER_MINUTE")
    rate_burst: int = Field(default=30, ge=1, validation_alias="API_RATE_LIMIT_BURST")
    # how old a Mini App's initData may be (its auth_date), in seconds
    webapp_max_age_s: int = Field(default=3600, ge=1, validation_alias="WEBAPP_MAX_AGE")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value


def production_problems(settings: ApiSettings, *, serving: bool | None = None) -> list[str]:
    """What production refuses when the API is served (``API_ENABLED``, or ``serving``: the
    ``tsbot api`` command): no signing secret, or one shorter than 32 bytes."""
    secret = settings.jwt_secret
    if not (settings.enabled if serving is None else serving):
        return []
    if secret is None:
        return [
            "API_JWT_SECRET: required in production (API tokens are signed with it) "
            f"(example: API_JWT_SECRET=<{JWT_SECRET_EXAMPLE}>)"
        ]
    if len(secret.get_secret_value().encode()) < MIN_JWT_SECRET_BYTES:
        return [
            f"API_JWT_SECRET: too short for production ({MIN_JWT_SECRET_BYTES} bytes at least)"
        ]
    return []
