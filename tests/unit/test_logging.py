"""Redaction: no bot token, secret-named field or decrypted secret reaches a log line."""

from __future__ import annotations

import io
import json
import logging

import structlog

from core.logging import Redactor, configure_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def _emit(fmt: str, redactor: Redactor) -> str:
    stream = io.StringIO()
    configure_logging("DEBUG", fmt, redactor=redactor, stream=stream)
    log = structlog.get_logger("test")
    log.info(
        "connect_failed",
        url=f"https://api.telegram.org/bot{TOKEN}/getMe",
        api_key="AKIA-visible-if-broken",
        nested={"password": "hunter2-long", "ok": "fine"},
        note="user pasted my-decrypted-secret-value here",
    )
    logging.getLogger("aiogram.dispatcher").warning("Failed with token %s", TOKEN)
    try:
        raise RuntimeError(f"boom {TOKEN} my-decrypted-secret-value")
    except RuntimeError:
        log.exception("crashed")
    return stream.getvalue()


def test_console_lines_hold_no_secret() -> None:
    redactor = Redactor()
    redactor.register("my-decrypted-secret-value")
    out = _emit("console", redactor)
    for secret in (TOKEN, "AKIA-visible-if-broken", "hunter2-long", "my-decrypted-secret-value"):
        assert secret not in out
    assert "fine" in out
    assert "[redacted]" in out
    assert "connect_failed" in out


def test_json_lines_hold_no_secret_and_parse() -> None:
    redactor = Redactor()
    redactor.register("my-decrypted-secret-value")
    out = _emit("json", redactor)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert lines[0]["event"] == "connect_failed"
    assert lines[0]["api_key"] == "[redacted]"
    for secret in (TOKEN, "AKIA-visible-if-broken", "hunter2-long", "my-decrypted-secret-value"):
        assert secret not in out


def test_context_is_bound_per_update() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    structlog.contextvars.bind_contextvars(update_id=7, user_id=9, chat_id=9)
    structlog.get_logger("t").info("handled")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert (line["update_id"], line["user_id"], line["chat_id"]) == (7, 9, 9)
