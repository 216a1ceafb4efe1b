"""Settings: one object, grouped in sections, read from flat environment variables and `.env`.

Environment variables keep their flat, conventional names (``DATABASE_URL``, ``BOT_TOKEN``,
``ENCRYPTION_KEY`` ...); in code they are grouped into sections (``settings.database.url``).
Defaults run the embedded setup: SQLite in ``./data``, no Redis, paper exchange, no AI key.

``load_settings()`` is the only constructor used at start-up: it turns every validation problem
into one readable line (variable, what is wrong, an example) and raises ``ConfigError``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode

from core.config_access import AccessSettings
from core.config_alerts import SentrySettings, SmtpSettings
from core.config_api import ApiSettings
from core.config_api import production_problems as api_production_problems
from core.config_base import section_config
from core.config_keys import KeySettings
from core.config_signals_checks import SignalChecksSettings
from core.config_tracking import TrackingSettings
from core.config_webapp import WebAppSettings
from core.config_webhook_ip import WebhookIpSettings
from core.config_worker import WorkerSettings
from core.errors import ConfigError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class RunMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


MIN_SECRET_LENGTH = 32

# One example per variable, shown next to any problem with it.
EXAMPLES: dict[str, str] = {
    "ENVIRONMENT": "development",
    "BOT_TOKEN": "123456789:AAH...your-token-from-BotFather",
    "ADMIN_IDS": "11111111,22222222",
    "TELEGRAM_API_URL": "https://api.telegram.org",
    "BOT_MODE": "polling",
    "WEBHOOK_URL": "https://bot.example.com/telegram/webhook",
    "WEBHOOK_SECRET": "a-random-string-of-32-or-more-characters",
    "WEBHOOK_PORT": "8080",
    "DATABASE_URL": "postgresql+asyncpg://tsbot:pass@127.0.0.1:5432/tsbot",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ENCRYPTION_KEY": "output of: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'",
    "OPENAI_API_KEY": "sk-...",
    "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "console",
    "PAPER_START_BALANCE": "10000",
    "EXCHANGE_API_URL": "http://127.0.0.1:9000",
    "STATIC_PRICES": "BTC/USDT=64000,ETH/USDT=3000",
    "RATE_LIMIT_PER_MINUTE": "60",
}


class TelegramSettings(BaseSettings):
    model_config = section_config()

    bot_token: SecretStr | None = Field(default=None, validation_alias="BOT_TOKEN")
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="ADMIN_IDS"
    )
    api_url: str = Field(default="https://api.telegram.org", validation_alias="TELEGRAM_API_URL")
    mode: RunMode = Field(default=RunMode.POLLING, validation_alias="BOT_MODE")
    webhook_url: str | None = Field(default=None, validation_alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="WEBHOOK_SECRET")
    webhook_host: str = Field(default="0.0.0.0", validation_alias="WEBHOOK_HOST")  # noqa: S104
    webhook_port: int = Field(default=8080, ge=1, le=65535, validation_alias="WEBHOOK_PORT")
    webhook_path: str = Field(default="/telegram/webhook", validation_alias="WEBHOOK_PATH")
    polling_timeout_s: int = Field(default=10, ge=0, le=50, validation_alias="POLLING_TIMEOUT")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            token = value.get_secret_value()
            head, _, tail = token.partition(":")
            if not head.isdigit() or len(tail) < 10:
                raise ValueError("is not a Telegram bot token (digits, a colon, then the secret)")
        if value is not None and not value.get_secret_value():
            return None
        return value

    @field_validator("webhook_path")
    @classmethod
    def _path_slash(cls, value: str) -> str:
        return value if value.startswith("/") else "/" + value


class DatabaseSettings(BaseSettings):
    model_config = section_config()

    url: str = Field(
        default="sqlite+aiosqlite:///./data/tsbot.db", validation_alias="DATABASE_URL"
    )
    pool_size: int = Field(default=10, ge=1, le=200, validation_alias="DB_POOL_SIZE")
    echo: bool = Field(default=False, validation_alias="DB_ECHO")

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://")):
            raise ValueError(
                "must name the async driver: use postgresql+asyncpg:// instead of "
                + value.split("://", maxsplit=1)[0]
                + "://"
            )
        if value.startswith("sqlite://"):
            raise ValueError("must name the async driver: use sqlite+aiosqlite://")
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must start with postgresql+asyncpg:// or sqlite+aiosqlite://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class RedisSettings(BaseSettings):
    model_config = section_config()

    url: str | None = Field(default=None, validation_alias="REDIS_URL")
    fsm_ttl_s: int = Field(default=86_400, ge=60, validation_alias="FSM_TTL")
    # a held lock's lease, renewed while its holder runs: a killed holder frees it this soon
    lock_lease_s: float = Field(default=10.0, ge=1, le=300, validation_alias="LOCK_LEASE_S")

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class SecuritySettings(BaseSettings):
    model_config = section_config()

    encryption_key: SecretStr | None = Field(default=None, validation_alias="ENCRYPTION_KEY")
    data_dir: Path = Field(default=Path("./data"), validation_alias="DATA_DIR")
    confirm_ttl_s: int = Field(default=120, ge=10, validation_alias="CONFIRM_TTL")
    # refuse API keys the exchange reports as usable from any IP (where it says; T11)
    require_key_ip_restriction: bool = Field(
        default=True, validation_alias="REQUIRE_KEY_IP_RESTRICTION"
    )

    @field_validator("encryption_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        import base64
        import binascii

        for key in value.get_secret_value().split(","):
            try:
                raw = base64.urlsafe_b64decode(key.strip().encode())
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    "must be one or more comma-separated Fernet keys (32 url-safe base64 bytes)"
                )
        return value


class ExchangeSettings(BaseSettings):
    model_config = section_config()

    paper_start_balance: Decimal = Field(
        default=Decimal(10_000), ge=0, validation_alias="PAPER_START_BALANCE"
    )
    paper_quote: str = Field(default="USDT", validation_alias="PAPER_QUOTE")
    paper_fee_rate: Decimal = Field(
        default=Decimal("0.001"), ge=0, le=Decimal("0.1"), validation_alias="PAPER_FEE_RATE"
    )
    paper_slippage: Decimal = Field(
        default=Decimal("0.0005"), ge=0, le=Decimal("0.1"), validation_alias="PAPER_SLIPPAGE"
    )
    price_feed: Literal["replay", "exchange", "static"] = Field(
        default="replay", validation_alias="PRICE_FEED"
    )
    price_feed_exchange: str = Field(default="binance", validation_alias="PRICE_FEED_EXCHANGE")
    markets_ttl_s: int = Field(default=3600, ge=0, validation_alias="MARKETS_TTL")
    timeout_ms: int = Field(default=10_000, ge=500, validation_alias="EXCHANGE_TIMEOUT_MS")
    max_price_deviation: Decimal = Field(
        default=Decimal(10), gt=1, validation_alias="MAX_PRICE_DEVIATION"
    )
    # Point every live ccxt client at a mirror or a test server (scheme + host replaced).
    api_url_override: str | None = Field(default=None, validation_alias="EXCHANGE_API_URL")
    # Saved ccxt markets, one <exchange_id>.json per exchange: the first load needs no HTTP.
    markets_dir: Path | None = Field(default=None, validation_alias="EXCHANGE_MARKETS_DIR")
    static_prices: Annotated[dict[str, Decimal], NoDecode] = Field(
        default_factory=dict, validation_alias="STATIC_PRICES"
    )
    paper_min_notional: Decimal = Field(
        default=Decimal(1), ge=0, validation_alias="PAPER_MIN_NOTIONAL"
    )
    reconcile_interval_s: float = Field(default=15, gt=0, validation_alias="RECONCILE_INTERVAL")
    reconcile_max_attempts: int = Field(default=10, ge=1, validation_alias="RECONCILE_ATTEMPTS")
    reconcile_give_up_s: int = Field(default=600, ge=0, validation_alias="RECONCILE_GIVE_UP_AFTER")

    @field_validator("api_url_override")
    @classmethod
    def _url_or_none(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("markets_dir", mode="before")
    @classmethod
    def _dir_or_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("static_prices", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        if isinstance(value, str):
            prices: dict[str, str] = {}
            for part in value.replace(";", ",").split(","):
                if not part.strip():
                    continue
                symbol, sep, price = part.partition("=")
                if not sep or not symbol.strip() or not price.strip():
                    raise ValueError("must look like BTC/USDT=64000,ETH/USDT=3000")
                prices[symbol.strip().upper()] = price.strip()
            return prices
        return value

    @field_validator("static_prices")
    @classmethod
    def _positive(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for symbol, price in value.items():
            if "/" not in symbol or not price.is_finite() or price <= 0:
                raise ValueError("must look like BTC/USDT=64000,ETH/USDT=3000 (prices above 0)")
        return value


class AISettings(BaseSettings):
    model_config = section_config()

    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4o-mini", validation_alias="OPENAI_MODEL")
    timeout_s: float = Field(default=8.0, gt=0, le=60, validation_alias="AI_TIMEOUT")
    parser_threshold: float = Field(
        default=0.6, ge=0, le=1, validation_alias="PARSER_CONFIDENCE_THRESHOLD"
    )

    @field_validator("openai_api_key")
    @classmethod
    def _empty_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @property
    def enabled(self) -> bool:
        return self.openai_api_key is not None


class LimitsSettings(BaseSettings):
    model_config = section_config()

    # 0 turns the per-user limit off (the console does: its one user is the operator)
    rate_limit_per_minute: int = Field(default=60, ge=0, validation_alias="RATE_LIMIT_PER_MINUTE")
    rate_limit_burst: int = Field(default=20, ge=1, validation_alias="RATE_LIMIT_BURST")
    outbox_global_per_s: float = Field(default=25, gt=0, le=30, validation_alias="OUTBOX_RATE")
    outbox_chat_per_s: float = Field(default=1, gt=0, validation_alias="OUTBOX_CHAT_RATE")
    outbox_group_per_min: float = Field(default=20, gt=0, validation_alias="OUTBOX_GROUP_RATE")
    inbox_lease_s: int = Field(default=60, ge=1, validation_alias="INBOX_LEASE")
    forward_max_age_h: int = Field(default=72, ge=1, validation_alias="FORWARD_MAX_AGE_HOURS")
    # a source's post repeating an entry's text within this many seconds is that entry (0: off)
    signal_duplicate_window_s: int = Field(
        default=86_400, ge=0, validation_alias="SIGNAL_DUPLICATE_WINDOW_S"
    )
    ban_notice_interval_s: int = Field(default=3600, ge=1, validation_alias="BAN_NOTICE_INTERVAL")
    # a source silent this long is told to its owner and the admins (0: never)
    source_silence_h: int = Field(default=24, ge=0, validation_alias="SOURCE_SILENCE_HOURS")


class LoggingSettings(BaseSettings):
    model_config = section_config()

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL"
    )
    format: Literal["auto", "json", "console"] = Field(
        default="auto", validation_alias="LOG_FORMAT"
    )

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class HealthSettings(BaseSettings):
    """The internal server of ``tsbot run`` (polling and webhook): ``/healthz`` and ``/metrics``.
    Loopback by default: metrics never share the public webhook port."""

    model_config = section_config()

    host: str = Field(default="127.0.0.1", validation_alias="HEALTH_HOST")
    port: int = Field(default=8081, ge=1, le=65535, validation_alias="HEALTH_PORT")


class Settings(BaseSettings):
    """Every setting, grouped. Build with ``load_settings()``."""

    model_config = section_config()

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        validation_alias=AliasChoices("ENVIRONMENT", "ENV"),
    )
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
    ai: AISettings = Field(default_factory=AISettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    signal_checks: SignalChecksSettings = Field(default_factory=SignalChecksSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    keys: KeySettings = Field(default_factory=KeySettings)
    webapp: WebAppSettings = Field(default_factory=WebAppSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    sentry: SentrySettings = Field(default_factory=SentrySettings)
    webhook_ip: WebhookIpSettings = Field(default_factory=WebhookIpSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)

    @field_validator("environment", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return {"dev": "development", "prod": "production"}.get(value, value)
        return value

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


SECTIONS: dict[str, type[BaseSettings]] = {
    "telegram": TelegramSettings,
    "database": DatabaseSettings,
    "redis": RedisSettings,
    "security": SecuritySettings,
    "exchange": ExchangeSettings,
    "ai": AISettings,
    "limits": LimitsSettings,
    "logging": LoggingSettings,
    "health": HealthSettings,
    "tracking": TrackingSettings,
    "signal_checks": SignalChecksSettings,
    "access": AccessSettings,
    "keys": KeySettings,
    "webapp": WebAppSettings,
    "api": ApiSettings,
    "smtp": SmtpSettings,
    "sentry": SentrySettings,
    "webhook_ip": WebhookIpSettings,
    "worker": WorkerSettings,
}


def _problem_lines(exc: ValidationError, model: type[BaseSettings]) -> list[str]:
    lines = []
    for err in exc.errors():
        field_name = str(err["loc"][0]) if err["loc"] else "?"
        info = model.model_fields.get(field_name)
        alias = info.validation_alias if info is not None else None
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]
        var = str(alias or field_name).upper()
        message = str(err["msg"]).removeprefix("Value error, ")
        example = EXAMPLES.get(var)
        lines.append(f"{var}: {message}" + (f" (example: {var}={example})" if example else ""))
    return lines


def _production_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.database.is_sqlite:
        problems.append(
            "DATABASE_URL: production refuses SQLite; use PostgreSQL "
            f"(example: DATABASE_URL={EXAMPLES['DATABASE_URL']})"
        )
    if settings.security.encryption_key is None:
        problems.append(
            "ENCRYPTION_KEY: required in production (stored exchange keys are encrypted with it) "
            f"(example: ENCRYPTION_KEY=<{EXAMPLES['ENCRYPTION_KEY']}>)"
        )
    if settings.telegram.mode is RunMode.WEBHOOK and settings.telegram.webhook_secret is None:
        problems.append(
            "WEBHOOK_SECRET: required in webhook mode "
            f"(example: WEBHOOK_SECRET={EXAMPLES['WEBHOOK_SECRET']})"
        )
    secrets = {
        "BOT_TOKEN": settings.telegram.bot_token,
        "WEBHOOK_SECRET": settings.telegram.webhook_secret,
        "ENCRYPTION_KEY": settings.security.encryption_key,
        "OPENAI_API_KEY": settings.ai.openai_api_key,
    }
    for var, secret in secrets.items():
        if secret is not None and len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
            problems.append(
                f"{var}: too short for production ({MIN_SECRET_LENGTH} characters at least)"
            )
    problems.extend(api_production_problems(settings.api))
    return problems


def _runtime_problems(settings: Settings) -> list[str]:
    problems = []
    tg = settings.telegram
    if tg.mode is RunMode.WEBHOOK and tg.bot_token is not None:
        if tg.webhook_secret is None:
            problems.append(
                "WEBHOOK_SECRET: webhook mode needs a secret token so forged updates are refused "
                f"(example: WEBHOOK_SECRET={EXAMPLES['WEBHOOK_SECRET']})"
            )
        else:
            import re

            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", tg.webhook_secret.get_secret_value()):
                problems.append("WEBHOOK_SECRET: only letters, digits, _ and - (1-256 characters)")
        if not tg.webhook_url:
            problems.append(
                f"WEBHOOK_URL: required in webhook mode (example: "
                f"WEBHOOK_URL={EXAMPLES['WEBHOOK_URL']})"
            )
        if tg.webhook_port == settings.health.port:
            problems.append("HEALTH_PORT: must differ from WEBHOOK_PORT (metrics stay internal)")
    problems.extend(settings.worker.problems(settings.database.is_sqlite, settings.redis.url))
    return problems


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read every section; raise ``ConfigError`` listing one line per problem.

    ``overrides`` maps section names to dicts of field values (tests use this).
    """
    problems: list[str] = []
    sections: dict[str, BaseSettings] = {}
    for name, model in SECTIONS.items():
        try:
            sections[name] = model(_env_file=env_file, **overrides.get(name, {}))
        except ValidationError as exc:
            problems.extend(_problem_lines(exc, model))
    for name, model in SECTIONS.items():  # failed sections: placeholders, already reported
        sections.setdefault(name, model.model_construct())
    try:
        top = {k: v for k, v in overrides.items() if k not in SECTIONS}
        # the sections are typed fields of Settings; a dict of them cannot say which is which
        settings = Settings(_env_file=env_file, **top, **sections)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems.extend(_problem_lines(exc, Settings))
    if problems:
        raise ConfigError(problems)
    problems = _runtime_problems(settings)
    if settings.is_production:
        problems.extend(_production_problems(settings))
    if problems:
        raise ConfigError(problems)
    return settings
