"""Sentry reports scrubbed like the logs: an error raised with a bot token, an exchange API key
and secret and a PIN in scope and in its message reaches the transport with none of them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis
import sentry_sdk
from cryptography.fernet import Fernet
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from core.config_alerts import SentrySettings
from core.logging import Redactor
from core.security import KeyStore
from core.sentry import init_sentry, scrub_event

BOT_TOKEN = "7312345678:AAHk3v9QwErTyUiOpAsDfGhJkLzXcVbNm12"
API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
API_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H7fpMjp"
PIN = "482913"
DSN = "https://publickey@127.0.0.1/42"


class CapturingTransport(Transport):
    """Keeps every envelope as the bytes that would go over the wire."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.payloads: list[bytes] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.payloads.append(envelope.serialize())


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    captured = CapturingTransport()
    yield captured
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)  # back to the no-op client


def _redactor_knowing_the_keys() -> Redactor:
    """The app's wiring: the bot token registered, and the exchange key and secret registered
    by the key store as it decrypts them."""
    redactor = Redactor()
    redactor.register(BOT_TOKEN)
    keystore = KeyStore([Fernet.generate_key()], on_decrypt=redactor.register)
    for value in (API_KEY, API_SECRET):
        assert keystore.decrypt(keystore.encrypt(value)) == value
    return redactor


def _place_order(bot_token: str, api_key: str, secret: str, pin: str) -> None:
    headers = {"X-MBX-APIKEY": api_key, "secret": secret}
    raise RuntimeError(
        f"order refused for bot {bot_token}: key {api_key} secret={secret} "
        f"pin {pin} headers {headers}"
    )


async def test_error_report_carries_no_secret(transport: CapturingTransport) -> None:
    redactor = _redactor_knowing_the_keys()
    started = init_sentry(SentrySettings(SENTRY_DSN=DSN), redactor, "test", transport=transport)
    assert started
    try:
        _place_order(BOT_TOKEN, API_KEY, API_SECRET, PIN)
    except RuntimeError as exc:
        sentry_sdk.capture_exception(exc)
    logging.getLogger("tsbot.test").warning("retrying with token %s and pin %s", BOT_TOKEN, PIN)
    logging.getLogger("tsbot.test").error("gave up: api_key=%s", API_KEY)
    sentry_sdk.get_client().flush(timeout=5)

    sent = b"".join(transport.payloads).decode()
    assert "order refused for bot" in sent  # the error itself did arrive
    assert "gave up" in sent
    for secret in (BOT_TOKEN, API_KEY, API_SECRET, PIN, "AAHk3v9QwErTyUiOpAs"):
        assert secret not in sent
    assert DSN not in sent


def test_sentry_leaves_redis_py_alone(transport: CapturingTransport) -> None:
    """Only the integrations the bot names: an auto-enabled Redis integration would patch
    Redis.execute_command under core.redis_pipeline (whose own check then fails)."""
    before = aioredis.Redis.execute_command, aioredis.client.Pipeline.execute
    assert init_sentry(SentrySettings(SENTRY_DSN=DSN), Redactor(), "test", transport=transport)
    assert (aioredis.Redis.execute_command, aioredis.client.Pipeline.execute) == before


def test_sentry_stays_off_without_a_dsn() -> None:
    assert not init_sentry(SentrySettings(), Redactor(), "test")
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pin 4821 was wrong", "pin [redacted] was wrong"),
        ("api_key=abc123, secret: 'xyz'", "api_key=[redacted], secret: [redacted]"),
        ("token=[redacted]", "token=[redacted]"),
        ("Pin the note", "Pin the note"),
        ("BTC/USDT 64000", "BTC/USDT 64000"),
    ],
    ids=["pin", "labels", "already-redacted", "plain-word", "prices"],
)
def test_scrub_event_text(text: str, expected: str) -> None:
    assert scrub_event(Redactor(), {"message": text}) == {"message": expected}


def test_scrub_event_keys_and_depth() -> None:
    """Values under secret-looking keys go, at any depth; structure stays."""
    event = {"extra": {"a": [{"passphrase": "p", "b": {"Authorization": "Bearer x"}}]}, "n": 1}
    assert scrub_event(Redactor(), event) == {
        "extra": {"a": [{"passphrase": "[redacted]", "b": {"Authorization": "[redacted]"}}]},
        "n": 1,
    }
