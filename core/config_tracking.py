"""The price tracker and the scores (the ``tracking`` section of ``core.config.Settings``):
how often the tracker runs, the issue 10 windows (fill 72 h, life 30 days), how old a step
may be to be told, where candles come from when not from the price feed, and /top's minimum.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from core.config_base import section_config


class TrackingSettings(BaseSettings):
    """The price tracker (issue 10 rules) and the scores."""

    model_config = section_config()

    enabled: bool = Field(default=True, validation_alias="TRACKER_ENABLED")
    interval_s: float = Field(default=60, gt=0, validation_alias="TRACKER_INTERVAL")
    fill_window_h: int = Field(default=72, ge=1, validation_alias="TRACKER_FILL_WINDOW_HOURS")
    max_life_d: int = Field(default=30, ge=1, validation_alias="TRACKER_MAX_LIFE_DAYS")
    notify_max_age_h: int = Field(default=6, ge=0, validation_alias="TRACKER_NOTIFY_MAX_AGE_HOURS")
    # freqtrade-layout candle directory read instead of the price feed's own candles
    candles_dir: Path | None = Field(default=None, validation_alias="TRACKER_CANDLES_DIR")
    top_min_signals: int = Field(default=10, ge=1, validation_alias="TOP_MIN_SIGNALS")

    @field_validator("candles_dir", mode="before")
    @classmethod
    def _dir_or_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("candles_dir")
    @classmethod
    def _existing_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"no directory at {value} (a freqtrade data directory)")
        return value
