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


def _fail_with_a_secret_in_a_local() -> None:
    pasted = "sk-unregistered-0123456789abcdef"  # noqa: F841 - a local, as in a handler's frame
    text = f"Message(text={'AKIA' + 'INLOCALS-0123456789'!r})"  # noqa: F841
    raise RuntimeError("the reply failed")


def test_production_tracebacks_carry_no_frame_locals() -> None:
    """Issue 13 defect 4: a traceback rendered with each frame's locals printed the /connect
    handler's API key. The production JSON line keeps the frames, never their locals."""
    stream = io.StringIO()
    configure_logging("INFO", "auto", production=True, stream=stream)
    try:
        _fail_with_a_secret_in_a_local()
    except RuntimeError:
        structlog.get_logger("test").exception("handler_failed")
    out = stream.getvalue()
    line = json.loads(out.splitlines()[-1])
    frames = line["exception"][0]["frames"]
    assert any(f["name"] == "_fail_with_a_secret_in_a_local" for f in frames)
    assert all("locals" not in f for f in frames)
    assert "sk-unregistered" not in out and "INLOCALS" not in out
