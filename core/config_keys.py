"""Which exchanges may take live keys whose withdraw right the bot cannot check (the ``keys``
section of ``core.config.Settings``).

A live key is stored only after the exchange said it may not withdraw (T11). An exchange that
has no endpoint telling a key's own permissions cannot say so: such an exchange takes no live
keys unless the operator names it in ``UNCHECKED_KEY_EXCHANGES`` (ccxt ids, comma-separated,
empty by default), and even then /connect tells the user plainly that the bot cannot check the
key and asks for an explicit yes before anything is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from core.config_base import section_config


class KeySettings(BaseSettings):
    """Empty by default: only exchanges that report a key's withdraw right take live keys."""

    model_config = section_config()

    unchecked_key_exchanges: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias="UNCHECKED_KEY_EXCHANGES"
    )

    @field_validator("unchecked_key_exchanges", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.replace(";", ",").split(",")
            return frozenset(p.strip().lower() for p in parts if p.strip())
        return value
