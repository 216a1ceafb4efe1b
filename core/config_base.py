"""How every settings section reads its values: the ``.env`` file and the environment, names
case-insensitive, unknown names ignored, fields also settable by their own names. One place,
so a section in its own module (``core/config_*.py``) reads exactly like those in
``core/config.py``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict


def section_config(env_prefix: str = "") -> SettingsConfigDict:
    """The ``model_config`` of a settings section."""
    return SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
        env_prefix=env_prefix,
    )
