"""Error reports to Sentry (optional: only with ``SENTRY_DSN``), scrubbed like the logs.

``init_sentry`` starts sentry-sdk with the asyncio, aiohttp, SQLAlchemy and (when installed)
FastAPI/Starlette integrations. Invariants:
- no frame's local variables and no user data are collected (``data_collection``: sentry-sdk
  3's form of ``include_local_variables=False`` and ``send_default_pii=False``), nor request
  bodies, cookies or SQL parameters;
- every event and breadcrumb goes through ``scrub_event`` before it leaves: the log redactor's
  ``scrub`` on every string (bot tokens, every secret the key store decrypted), the value of
  every key that looks like a secret replaced, and ``pin 1234`` / ``api_key=...`` written in
  text cut after the label. An event the scrubber cannot handle is dropped, never sent raw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import sentry_sdk
import structlog
from sentry_sdk.integrations import Integration
from sentry_sdk.integrations.aiohttp import AioHttpIntegration
from sentry_sdk.integrations.asyncio import AsyncioIntegration
from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

from core.config_alerts import SentrySettings
from core.logging import REDACTED, SENSITIVE_KEY_RE, Redactor

log = structlog.get_logger(__name__)

__all__ = ["init_sentry", "scrub_event"]

# a secret written after its label in free text: "api_key=abc", "secret: xyz", "pin 4821"
LABELLED_SECRET_RE: Final = re.compile(
    r"(?i)\b(pin|password|passwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key)"
    r"(\s*[:=]\s*)(?!\[redacted\])(['\"]?)[^\s'\",;)}\]]+(?:\3)?"
)
PIN_RE: Final = re.compile(r"(?i)\b(pin(?:\s+code)?)(\s+)\d{4,12}\b")
MAX_DEPTH: Final = 64


def _scrub_text(redactor: Redactor, text: str) -> str:
    text = redactor.scrub(text)
    for pattern in (LABELLED_SECRET_RE, PIN_RE):
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return text


def _scrub(redactor: Redactor, key: str | None, value: Any, depth: int) -> Any:
    if key is not None and value is not None and SENSITIVE_KEY_RE.search(key):
        return REDACTED
    if isinstance(value, str):
        return _scrub_text(redactor, value)
    if depth > MAX_DEPTH:
        return REDACTED  # deeper than any real event: not worth the risk
    if isinstance(value, Mapping):
        return {k: _scrub(redactor, str(k), v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(redactor, None, v, depth + 1) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return _scrub_text(redactor, repr(value))


def scrub_event(redactor: Redactor, event: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Sentry event (or breadcrumb) with every secret replaced by ``[redacted]``.

    Sentry's own structure keys never look like secrets, so only values are touched."""
    cleaned = _scrub(redactor, None, event, 0)
    assert isinstance(cleaned, dict)  # noqa: S101 - a Mapping maps to a dict
    return cleaned


def _integrations() -> list[Integration]:
    integrations: list[Integration] = [
        AsyncioIntegration(),
        AioHttpIntegration(),
        SqlalchemyIntegration(),
    ]
    try:  # the REST API's framework, when installed
        from sentry_sdk.integrations.fastapi import FastApiIntegration
        from sentry_sdk.integrations.starlette import StarletteIntegration
    except ImportError:  # sentry-sdk raises DidNotEnable (an ImportError) without FastAPI
        return integrations
    return [*integrations, StarletteIntegration(), FastApiIntegration()]


def init_sentry(
    settings: SentrySettings, redactor: Redactor, environment: str, *, transport: Any = None
) -> bool:
    """Start sentry-sdk when ``SENTRY_DSN`` is set; True when started. ``transport`` replaces
    the HTTP transport (tests capture the payload with it)."""
    if settings.dsn is None:
        return False

    def before_send(event: Any, _hint: Any) -> Any:
        try:
            return scrub_event(redactor, event)
        except Exception:  # never send what could not be cleaned
            log.exception("sentry_event_dropped")
            return None

    def before_breadcrumb(crumb: Any, _hint: Any) -> Any:
        try:
            return scrub_event(redactor, crumb)
        except Exception:  # a breadcrumb is not worth the risk
            return None

    sentry_sdk.init(
        dsn=settings.dsn.get_secret_value(),
        environment=settings.environment or environment,
        traces_sample_rate=settings.traces_sample_rate,
        integrations=_integrations(),
        # only the integrations named above: the auto-enabled ones would patch redis-py's
        # Redis.execute_command, which core.redis_pipeline builds on (and its own check fails)
        auto_enabling_integrations=False,
        data_collection={
            "user_info": False,
            "stack_frame_variables": False,
            "http_bodies": [],
            "cookies": {"mode": "off"},
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
        },
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        transport=transport,
    )
    log.info("sentry_enabled", environment=settings.environment or environment)
    return True
