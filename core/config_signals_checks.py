"""Plausibility checks of a channel post against the market (the ``signal_checks`` section of
``core.config.Settings``): how far from the market price an entry may be before the post is held
for its source owner instead of going live, and how long intake waits for that price.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import BaseSettings

from core.config_base import section_config


class SignalChecksSettings(BaseSettings):
    """What a post's levels must fit besides each other (the parser checks those)."""

    model_config = section_config()

    # an entry more than this % from its pair's market price is held for the owner (0: off);
    # the trade plans' risk guard refuses entries 10 % away by default, so does this
    entry_far_pct: Decimal = Field(
        default=Decimal(10), ge=0, le=1000, validation_alias="SIGNAL_ENTRY_FAR_PCT"
    )
    # the longest intake waits for that price; none by then: the post is judged without it
    price_timeout_s: float = Field(
        default=1.0, gt=0, le=10, validation_alias="SIGNAL_PRICE_TIMEOUT"
    )
