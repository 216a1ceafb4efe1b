"""E-mail to the admins for critical events, against a real SMTP server on loopback: the mail
arrives with the right subject and body and no secret, one per kind and scope per window, and
a mail server that is down or hangs never breaks the bot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import update
from structlog.testing import capture_logs

from bot.features.alerts import build_alerts
from bot.features.alerts import feature as alerts_feature
from core.cache import KeyValue, MemoryCache
from core.config import Settings, load_settings
from core.db.models import OutboxMessage
from core.db.repositories.outbox import OutboxRepository
from core.db.session import Database
from core.domain import OutboxStatus
from core.logging import Redactor
from core.security import KeyStore, SecretDecryptError
from services.alerts.outbox_watch import OutboxWatch
from services.alerts.service import AdminAlerts, Alert, AlertKind
from services.alerts.smtp import SmtpMailer
from services.exchange.circuit import DEFAULT_THRESHOLD, breaker_for
from tests.integration.alerts.conftest import SMTP_PASSWORD, SMTP_USER, Mailbox, free_port

BOT_TOKEN = "7312345678:AAHk3v9QwErTyUiOpAsDfGhJkLzXcVbNm12"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def settings_for(port: int, **smtp: Any) -> Settings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "user": SMTP_USER,
        "password": SMTP_PASSWORD,
        "sender": "tsbot@example.com",
        "to": "ops@example.com, admin@example.com",
        "starttls": False,
        "timeout_s": 5,
    }
    values.update(smtp)
    return load_settings(None, smtp=values, telegram={"bot_token": BOT_TOKEN})


def wired(settings: Settings, kv: KeyValue) -> tuple[AdminAlerts, KeyStore]:
    redactor = Redactor()
    redactor.register(BOT_TOKEN)
    keystore = KeyStore([Fernet.generate_key()], on_decrypt=redactor.register)
    return build_alerts(settings, kv, keystore, redactor), keystore


def trip(venue: str) -> None:
    breaker = breaker_for(venue)
    for _ in range(DEFAULT_THRESHOLD):
        breaker.failed()
    assert breaker.open_for_s() is not None


def raw(box: Mailbox) -> str:
    return "\n".join(mail.as_string() for mail in box.mails)


async def test_off_by_default(sqlite_database: Database) -> None:
    """Without SMTP_HOST and SMTP_TO nothing is hooked and nothing runs."""
    settings = load_settings(None)
    assert not settings.smtp.enabled
    alerts, keystore = wired(settings, KeyValue.memory())
    assert not alerts.enabled
    assert keystore.on_failure is None
    feature = alerts_feature(settings, sqlite_database, alerts, lambda: NOW)
    assert feature.background == [] and feature.closers == []
    assert not await alerts.send(Alert(AlertKind.LONG_OUTAGE, "s", "b"))


async def test_circuit_opening_mails_the_admins(
    smtp_server: Mailbox, kv: KeyValue, sqlite_database: Database
) -> None:
    settings = settings_for(smtp_server.port)
    alerts, _ = wired(settings, kv)
    feature = alerts_feature(settings, sqlite_database, alerts, lambda: NOW)

    trip("binance")
    await alerts.aclose()  # waits for the mail sent in the background

    [mail] = smtp_server.mails
    assert mail["Subject"] == "[tsbot] exchange binance is failing"
    assert mail["To"] == "ops@example.com, admin@example.com"
    assert mail["From"] == "tsbot@example.com"
    assert "failed 10 requests in a row" in mail.get_content()
    assert smtp_server.logins  # logged in with SMTP_USER / SMTP_PASSWORD
    assert SMTP_PASSWORD not in raw(smtp_server)

    for closer in feature.closers:  # the app closing: the listener is gone
        await closer()
    breaker_for("binance").answered()
    trip("binance")
    await alerts.aclose()
    assert len(smtp_server.mails) == 1


async def test_one_mail_per_kind_and_scope_per_window(smtp_server: Mailbox, kv: KeyValue) -> None:
    """Two trips of one exchange give one mail (across processes on Redis: the window's key is
    shared); another exchange, or another kind, gets its own."""
    settings = settings_for(smtp_server.port)
    first, _ = wired(settings, kv)
    second, _ = wired(settings, kv)  # a second process on the same cache
    down = Alert(AlertKind.EXCHANGE_DOWN, "x", "y", scope="binance")
    assert [await alerts.send(down) for alerts in (first, second, first)] == [True, False, False]
    assert await second.send(Alert(AlertKind.EXCHANGE_DOWN, "x", "y", scope="okx"))
    assert await second.send(Alert(AlertKind.OUTBOX_STUCK, "x", "y"))
    assert len(smtp_server.mails) == 3


async def test_a_new_window_mails_again(smtp_server: Mailbox) -> None:
    now = [0.0]
    alerts = AdminAlerts(
        SmtpMailer(settings_for(smtp_server.port).smtp),
        MemoryCache(lambda: now[0]),
        window_s=3600,
        timeout_s=5,
        scrub=str,
    )
    alert = Alert(AlertKind.OUTBOX_STUCK, "stuck", "body")
    assert await alerts.send(alert)
    now[0] = 3599
    assert not await alerts.send(alert)
    now[0] = 3601
    assert await alerts.send(alert)
    assert len(smtp_server.mails) == 2


async def test_a_key_that_no_longer_decrypts_is_mailed(smtp_server: Mailbox) -> None:
    alerts, keystore = wired(settings_for(smtp_server.port), KeyValue.memory())
    foreign = Fernet(Fernet.generate_key()).encrypt(b"api-secret").decode()
    for opening in (keystore.decrypt, keystore.unseal):
        with pytest.raises(SecretDecryptError):
            opening(foreign)
    await alerts.aclose()
    [mail] = smtp_server.mails  # twice in a window: one mail
    assert mail["Subject"] == "[tsbot] a stored secret no longer decrypts"
    assert "ENCRYPTION_KEY=new,old" in mail.get_content()
    assert "api-secret" not in raw(smtp_server) and foreign not in raw(smtp_server)


async def _queue(db: Database, *, age: timedelta, status: OutboxStatus) -> None:
    async with db.transaction() as session:
        row_id = await OutboxRepository(session).enqueue(1, "hello")
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(created_at=NOW - age, status=status)
        )


async def test_a_stuck_outbox_is_mailed(smtp_server: Mailbox, db: Database) -> None:
    """Pending rows older than ALERT_OUTBOX_STUCK_MINUTES count; fresh or sent ones do not;
    the app's background job finds them."""
    settings = settings_for(smtp_server.port, outbox_stuck_min=15)
    alerts, _ = wired(settings, KeyValue.memory())
    watch = OutboxWatch(db, alerts, timedelta(minutes=15), clock=lambda: NOW)
    await _queue(db, age=timedelta(minutes=5), status=OutboxStatus.PENDING)
    await _queue(db, age=timedelta(hours=2), status=OutboxStatus.SENT)
    assert await watch.check() == 0

    await _queue(db, age=timedelta(minutes=40), status=OutboxStatus.PENDING)
    await _queue(db, age=timedelta(minutes=20), status=OutboxStatus.PENDING)
    assert await watch.stuck() == (2, NOW - timedelta(minutes=40))

    feature = alerts_feature(settings, db, alerts, lambda: NOW, interval_s=0.05)
    stop = asyncio.Event()
    [job] = feature.background
    task = asyncio.create_task(job(stop))
    assert await asyncio.to_thread(smtp_server.arrived.wait, 10)
    stop.set()
    await task
    for closer in feature.closers:
        await closer()
    [mail] = smtp_server.mails  # the job ran several passes: the window holds them to one
    assert mail["Subject"] == "[tsbot] 2 Telegram messages are stuck"
    assert "queued at 2026-12-07 11:20 UTC" in mail.get_content()


async def test_secrets_are_scrubbed_from_the_mail(smtp_server: Mailbox) -> None:
    alerts, keystore = wired(settings_for(smtp_server.port), KeyValue.memory())
    api_key = keystore.decrypt(keystore.encrypt("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zv"))
    assert await alerts.send(
        Alert(AlertKind.LONG_OUTAGE, f"token {BOT_TOKEN}", f"key {api_key} token {BOT_TOKEN}")
    )
    text = raw(smtp_server)
    assert BOT_TOKEN not in text and api_key not in text
    assert smtp_server.mails[0].get_content().strip() == "key [redacted] token [redacted]"


async def _silent_server() -> tuple[asyncio.Server, int]:
    """Accepts connections and never answers (a hung mail server)."""

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


@pytest.mark.parametrize("failure", ["refused", "hangs"])
async def test_a_failing_mail_server_does_not_break_the_bot(failure: str) -> None:
    """The alert is logged as failed (its error's type only), nothing raises, the circuit still
    opens, and the window is given back so the next event tries again."""
    server = None
    if failure == "refused":
        port = free_port()
    else:
        server, port = await _silent_server()
    settings = settings_for(port, timeout_s=0.3)
    alerts, _ = wired(settings, KeyValue.memory())
    alerts._timeout_s = 0.3  # noqa: SLF001 - the hung case waits this long, not 10 s
    try:
        with capture_logs() as logs:
            async with asyncio.timeout(5):
                assert not await alerts.send(Alert(AlertKind.OUTBOX_STUCK, "x", "y"))
                assert not await alerts.send(Alert(AlertKind.OUTBOX_STUCK, "x", "y"))
    finally:
        if server is not None:
            server.close()
    failed = [entry for entry in logs if entry["event"] == "alert_mail_failed"]
    assert len(failed) == 2  # not deduplicated: the first one was never sent
    assert SMTP_PASSWORD not in str(logs) and SMTP_USER not in str(logs)


class DownCache(MemoryCache):
    """The cache while Redis is away."""

    async def add_json(self, key: str, value: Any, ttl_s: float) -> bool:
        raise RedisConnectionError("gone")

    async def delete(self, key: str) -> None:
        raise RedisConnectionError("gone")


async def test_the_window_holds_in_the_process_while_the_cache_is_down(
    smtp_server: Mailbox,
) -> None:
    alerts = AdminAlerts(
        SmtpMailer(settings_for(smtp_server.port).smtp),
        DownCache(),
        window_s=3600,
        timeout_s=5,
        scrub=str,
    )
    stuck = Alert(AlertKind.OUTBOX_STUCK, "stuck", "body")
    assert await alerts.send(stuck)
    assert not await alerts.send(stuck)
    assert await alerts.send(Alert(AlertKind.EXCHANGE_DOWN, "down", "body", scope="okx"))
    assert len(smtp_server.mails) == 2


async def test_posts_no_signal_worker_took_are_mailed_once(smtp_server: Mailbox) -> None:
    """The signal worker's failover ran posts no worker took: one mail a window, however often
    it happens (SIGNAL_WORKER=external with no worker running takes every post back)."""
    alerts, _ = wired(settings_for(smtp_server.port), KeyValue.memory())
    alerts.signal_worker_silent(1)
    alerts.signal_worker_silent(3)
    await alerts.aclose()
    [mail] = smtp_server.mails
    assert mail["Subject"] == "[tsbot] no signal worker is taking channel posts"
    assert "tsbot signals" in mail.get_content()
