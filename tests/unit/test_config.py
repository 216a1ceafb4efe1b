"""Config: defaults, one readable line per problem, production rules."""

from __future__ import annotations

import pytest

from core.config import Environment, RunMode, load_settings
from core.errors import ConfigError

FERNET = "x" * 43 + "="  # 32 bytes of url-safe base64

VARS = (
    "ENVIRONMENT",
    "BOT_TOKEN",
    "ADMIN_IDS",
    "DATABASE_URL",
    "REDIS_URL",
    "ENCRYPTION_KEY",
    "WEBHOOK_SECRET",
    "WEBHOOK_URL",
    "BOT_MODE",
    "WEBHOOK_PORT",
    "LOG_LEVEL",
    "OPENAI_API_KEY",
    "HEALTH_HOST",
    "HEALTH_PORT",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in VARS:
        monkeypatch.delenv(var, raising=False)


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    return info.value.problems


def test_defaults_run_embedded() -> None:
    settings = load_settings(None)
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database.url == "sqlite+aiosqlite:///./data/tsbot.db"
    assert settings.redis.url is None
    assert settings.ai.enabled is False
    assert settings.telegram.bot_token is None
    assert settings.telegram.mode is RunMode.POLLING
    assert str(settings.exchange.paper_start_balance) == "10000"


def test_flat_names_fill_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "11, 22;33")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("BOT_TOKEN", "123456:" + "A" * 35)
    settings = load_settings(None)
    assert settings.telegram.admin_ids == [11, 22, 33]
    assert settings.redis.url == "redis://127.0.0.1:6379/1"
    assert settings.logging.level == "DEBUG"
    assert "AAAA" not in repr(settings)  # SecretStr hides it


def test_env_file_is_read(tmp_path: pytest.TempPathFactory) -> None:
    env = tmp_path / ".env"  # type: ignore[operator]
    env.write_text("ADMIN_IDS=5\nPAPER_START_BALANCE=2500\n")
    settings = load_settings(env)
    assert settings.telegram.admin_ids == [5]
    assert str(settings.exchange.paper_start_balance) == "2500"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "postgres://u:p@h/db"}, "DATABASE_URL: must name the async driver"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL: must start with"),
        ({"WEBHOOK_PORT": "eighty"}, "WEBHOOK_PORT: Input should be a valid integer"),
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN: is not a Telegram bot token"),
        ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS:"),
        ({"ENCRYPTION_KEY": "short"}, "ENCRYPTION_KEY: must be one or more"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL: must start with redis://"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT: Input should be"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL:"),
    ],
    ids=["pg-driver", "scheme", "port", "token", "admin-ids", "fernet", "redis", "env", "level"],
)
def test_invalid_values_give_one_line_each(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    lines = problems(monkeypatch, **env)
    assert len(lines) == 1
    assert lines[0].startswith(expected)
    assert "Traceback" not in lines[0]


def test_several_problems_are_all_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = problems(monkeypatch, DATABASE_URL="postgres://x", WEBHOOK_PORT="x", BOT_TOKEN="y")
    assert {line.split(":")[0] for line in lines} == {"DATABASE_URL", "WEBHOOK_PORT", "BOT_TOKEN"}
    assert all("example:" in line for line in lines)


def test_production_refuses_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = problems(monkeypatch, ENVIRONMENT="production")
    assert any(line.startswith("DATABASE_URL: production refuses SQLite") for line in lines)
    assert any(line.startswith("ENCRYPTION_KEY: required in production") for line in lines)


def test_production_refuses_short_secrets_and_webhook_without_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = problems(
        monkeypatch,
        ENVIRONMENT="production",
        DATABASE_URL="postgresql+asyncpg://u:p@127.0.0.1/db",
        ENCRYPTION_KEY=FERNET,
        BOT_MODE="webhook",
        WEBHOOK_URL="https://x.example/hook",
        BOT_TOKEN="123456:" + "A" * 35,
        OPENAI_API_KEY="sk-short",
    )
    assert any(line.startswith("WEBHOOK_SECRET: webhook mode needs") for line in lines)
    assert any(line.startswith("OPENAI_API_KEY: too short for production") for line in lines)


def test_production_accepts_a_complete_config(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "ENVIRONMENT": "production",
        "DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1/db",
        "ENCRYPTION_KEY": FERNET,
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": "https://x.example/hook",
        "WEBHOOK_SECRET": "s" * 40,
        "BOT_TOKEN": "123456:" + "A" * 35,
    }.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(None)
    assert settings.is_production


def test_health_server_is_internal_by_default() -> None:
    health = load_settings(None).health
    assert (health.host, health.port) == ("127.0.0.1", 8081)


def test_health_port_must_differ_from_the_webhook_port(monkeypatch: pytest.MonkeyPatch) -> None:
    found = problems(
        monkeypatch,
        BOT_TOKEN="123456:" + "A" * 35,
        BOT_MODE="webhook",
        WEBHOOK_SECRET="s" * 40,
        WEBHOOK_URL="https://bot.example.com/hook",
        WEBHOOK_PORT="8081",
    )
    assert found == ["HEALTH_PORT: must differ from WEBHOOK_PORT (metrics stay internal)"]
