"""The signal worker (the ``worker`` section of ``core.config.Settings``, threat T14):
``SIGNAL_WORKER`` and the worker's own health port.

``SIGNAL_WORKER=off`` (the default) handles channel posts in the receiving process, as always.
``child``: the receiving process hands channel posts to ``tsbot signals``, which ``tsbot run``
starts and supervises as a child process. ``external``: the same hand-off, but the worker is
run separately (another container, a systemd unit); ``tsbot run`` starts none. ``true``/``on``
mean ``child``, ``false``/``0`` mean ``off``. Either worker mode needs PostgreSQL (the inbox
rows are claimed across processes) and Redis (the hand-off queue): refused without them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from core.config_base import section_config


class SignalWorkerMode(StrEnum):
    OFF = "off"
    CHILD = "child"
    EXTERNAL = "external"


_SPELLINGS = {
    "": "off",
    "false": "off",
    "0": "off",
    "no": "off",
    "true": "child",
    "1": "child",
    "yes": "child",
    "on": "child",
}


class WorkerSettings(BaseSettings):
    """Whether channel posts go to a separate signal worker process, and how it is run."""

    model_config = section_config()

    signal_worker: SignalWorkerMode = Field(
        default=SignalWorkerMode.OFF, validation_alias="SIGNAL_WORKER"
    )
    # the worker's /healthz and /metrics (loopback like HEALTH_PORT's); 0: it serves none
    health_port: int = Field(
        default=8082, ge=0, le=65535, validation_alias="SIGNAL_WORKER_HEALTH_PORT"
    )

    @field_validator("signal_worker", mode="before")
    @classmethod
    def _spelling(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return "child" if value else "off"
        if isinstance(value, str):
            value = value.strip().lower()
            return _SPELLINGS.get(value, value)
        return value

    @property
    def enabled(self) -> bool:
        return self.signal_worker is not SignalWorkerMode.OFF

    def problems(self, sqlite: bool, redis_url: str | None) -> list[str]:
        """What a worker mode lacks: PostgreSQL and Redis (one line each), none when off."""
        if not self.enabled:
            return []
        mode = f"SIGNAL_WORKER={self.signal_worker.value}"
        problems = []
        if sqlite:
            problems.append(
                f"DATABASE_URL: {mode} needs PostgreSQL (the receiving process and the worker "
                "claim inbox rows from each other); SQLite cannot (example: DATABASE_URL="
                "postgresql+asyncpg://tsbot:pass@127.0.0.1:5432/tsbot), or set SIGNAL_WORKER=off"
            )
        if not redis_url:
            problems.append(
                f"REDIS_URL: {mode} needs Redis (channel posts are handed to the worker through "
                "it) (example: REDIS_URL=redis://127.0.0.1:6379/0), or set SIGNAL_WORKER=off"
            )
        return problems
