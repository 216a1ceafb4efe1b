"""SIGNAL_WORKER: its spellings, and a worker mode refused without PostgreSQL and Redis."""

from __future__ import annotations

import asyncio

import pytest

from bot.signal_worker import run_signal_worker
from core.config import load_settings
from core.config_worker import SignalWorkerMode
from core.errors import ConfigError

PG = "postgresql+asyncpg://tsbot:pass@127.0.0.1:5432/tsbot"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SIGNAL_WORKER", "SIGNAL_WORKER_HEALTH_PORT", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(
    ("given", "mode"),
    [
        ("off", SignalWorkerMode.OFF),
        ("false", SignalWorkerMode.OFF),
        ("", SignalWorkerMode.OFF),
        ("true", SignalWorkerMode.CHILD),
        ("1", SignalWorkerMode.CHILD),
        ("Child", SignalWorkerMode.CHILD),
        ("external", SignalWorkerMode.EXTERNAL),
    ],
    ids=["off", "false", "empty", "true", "one", "child", "external"],
)
def test_spellings(monkeypatch: pytest.MonkeyPatch, given: str, mode: SignalWorkerMode) -> None:
    monkeypatch.setenv("SIGNAL_WORKER", given)
    settings = load_settings(None, database={"url": PG}, redis={"url": REDIS})
    assert settings.worker.signal_worker is mode
    assert settings.worker.enabled is (mode is not SignalWorkerMode.OFF)


def test_off_by_default_on_the_embedded_setup() -> None:
    settings = load_settings(None)
    assert settings.worker.signal_worker is SignalWorkerMode.OFF


def test_worker_mode_on_sqlite_without_redis_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_WORKER", "child")
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    [database, redis] = info.value.problems
    assert database.startswith("DATABASE_URL: SIGNAL_WORKER=child needs PostgreSQL")
    assert redis.startswith("REDIS_URL: SIGNAL_WORKER=child needs Redis")


def test_worker_mode_without_redis_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_WORKER", "external")
    with pytest.raises(ConfigError) as info:
        load_settings(None, database={"url": PG})
    [problem] = info.value.problems
    assert problem.startswith("REDIS_URL: SIGNAL_WORKER=external needs Redis")
    assert "SIGNAL_WORKER=off" in problem


def test_unknown_mode_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_WORKER", "sometimes")
    with pytest.raises(ConfigError) as info:
        load_settings(None, database={"url": PG}, redis={"url": REDIS})
    [problem] = info.value.problems
    assert problem.startswith("SIGNAL_WORKER: ")


def test_the_worker_refuses_to_run_when_the_mode_is_off() -> None:
    settings = load_settings(None, database={"url": PG}, redis={"url": REDIS})
    with pytest.raises(ConfigError) as info:
        asyncio.run(run_signal_worker(settings))
    assert info.value.problems[0].startswith("SIGNAL_WORKER: is off")
