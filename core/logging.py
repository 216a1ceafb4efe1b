"""structlog set-up: JSON in production, readable console in development, secrets redacted.

The redaction processor runs last before rendering, on structlog events and on stdlib records
(aiogram, aiohttp, SQLAlchemy) alike. It removes:
- Telegram bot tokens anywhere in any string (``123456:AA...``);
- the value of any key that looks like a secret (secret, token, api_key, password, passphrase...);
- every value the key store decrypted (registered with ``Redactor.register``).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Mapping
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, Final

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED: Final = "[redacted]"
BOT_TOKEN_RE: Final = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
SENSITIVE_KEY_RE: Final = re.compile(
    r"(secret|token|api[_-]?key|apikey|password|passwd|passphrase|pin|authorization|private)",
    re.IGNORECASE,
)
MIN_REGISTERED_LENGTH: Final = 6
LOG_FILE_BYTES: Final = 5_000_000
LOG_FILE_BACKUPS: Final = 2


class Redactor:
    """A structlog processor; also holds the decrypted values it must never let through."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, value: str) -> None:
        if len(value) < MIN_REGISTERED_LENGTH or value in self._values:
            return
        with self._lock:
            self._values.add(value)
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def scrub(self, text: str) -> str:
        text = BOT_TOKEN_RE.sub(REDACTED, text)
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        return text

    def _clean(self, key: str | None, value: Any, depth: int = 0) -> Any:
        if key is not None and SENSITIVE_KEY_RE.search(key) and value is not None:
            return REDACTED
        if isinstance(value, str):
            return self.scrub(value)
        if depth > 4:
            return value
        if isinstance(value, Mapping):
            return {k: self._clean(str(k), v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple | set):
            return type(value)(self._clean(None, v, depth + 1) for v in value)
        if isinstance(value, BaseException):
            return self.scrub(repr(value))
        return value

    def __call__(self, _logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            if key == "exc_info":
                continue
            event_dict[key] = self._clean(None if key == "event" else key, value)
        for key in ("exception", "stack"):
            if isinstance(event_dict.get(key), str):
                event_dict[key] = self.scrub(event_dict[key])
        return event_dict


def _drop_color_message(_l: WrappedLogger, _n: str, event_dict: EventDict) -> EventDict:
    event_dict.pop("color_message", None)
    return event_dict


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    *,
    production: bool = False,
    redactor: Redactor | None = None,
    stream: Any = None,
    path: Path | None = None,
) -> Redactor:
    """Configure structlog and the stdlib root logger; return the redactor in use.

    Lines go to ``stream`` (stderr by default), or to the file ``path`` when given (rotated at
    ``LOG_FILE_BYTES``, ``LOG_FILE_BACKUPS`` kept): the console chat logs there, so no log line
    lands between the bot's replies."""
    redactor = redactor or Redactor()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_color_message,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_rendering(fmt == "json" or (fmt == "auto" and production), redactor),
        ],
    )
    handler = _handler(path, stream)
    handler.setFormatter(formatter)
    _install(handler, level)
    return redactor


def _rendering(json_output: bool, redactor: Redactor) -> list[Processor]:
    """Exceptions rendered, then redacted, then the line: JSON or human-readable."""
    if json_output:
        return [
            # frames without their locals: a handler's locals hold API keys and message texts
            # (structlog's dict_tracebacks would print them, and no redactor knows them all)
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            redactor,
            structlog.processors.JSONRenderer(),
        ]
    return [
        structlog.processors.format_exc_info,
        redactor,
        structlog.dev.ConsoleRenderer(colors=False),
    ]


def _handler(path: Path | None, stream: Any) -> logging.Handler:
    if path is None:
        return logging.StreamHandler(stream or sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    return RotatingFileHandler(
        path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
    )


def _install(handler: logging.Handler, level: str) -> None:
    """``handler`` as the root logger's only one, at ``level``; chatty libraries quieter."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if isinstance(old, logging.FileHandler):
            old.close()  # a log file set up by an earlier call: release its descriptor
    root.addHandler(handler)
    root.setLevel(level.upper())
    # aiogram logs every update at INFO; that is noise at our scale.
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("aiohttp.access").setLevel(max(logging.WARNING, root.level))
    # ccxt logs whole signed requests (API key header included) at DEBUG: never let it.
    logging.getLogger("ccxt").setLevel(max(logging.INFO, root.level))
