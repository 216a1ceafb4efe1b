"""The alerts as the app wires them (``build_app`` with SMTP set): a long outage is mailed
beside the admins' chat note, a key that no longer decrypts and an exchange's circuit opening
are mailed, and closing the app unhooks the circuit listener. Without SMTP nothing is hooked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.app import App, build_app
from core.clock import utc_now
from core.db.models import InboxUpdate
from core.db.session import Database
from core.domain import InboxStatus
from core.security import SecretDecryptError
from services.exchange.circuit import DEFAULT_THRESHOLD, breaker_for
from tests.bot.conftest import TOKEN, make_settings
from tests.fakes.telegram_api import RecordingSession
from tests.integration.alerts.conftest import SMTP_PASSWORD, SMTP_USER, Mailbox

AppFactory = Callable[..., Coroutine[Any, Any, App]]


@pytest.fixture
async def make_app(db: Database) -> AsyncIterator[AppFactory]:
    apps: list[App] = []

    async def factory(**sections: dict[str, Any]) -> App:
        settings = make_settings(db.url, None, **sections)
        app = await build_app(
            settings, session=RecordingSession(), token=TOKEN, configure_logs=False
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        await app.aclose()


def smtp(box: Mailbox) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": box.port,
        "user": SMTP_USER,
        "password": SMTP_PASSWORD,
        "to": "ops@example.com",
        "starttls": False,
    }


async def wait_for_mails(box: Mailbox, count: int) -> None:
    async with asyncio.timeout(10):
        while len(box.mails) < count:
            box.arrived.clear()
            if len(box.mails) < count:
                await asyncio.to_thread(box.arrived.wait, 1)


async def test_the_app_mails_critical_events(make_app: AppFactory, smtp_server: Mailbox) -> None:
    app = await make_app(smtp=smtp(smtp_server))
    assert app.alerts is not None and app.alerts.enabled

    async with app.db.transaction() as session:  # the last update came 30 h ago
        session.add(
            InboxUpdate(
                update_id=77,
                payload="",
                status=InboxStatus.DONE,
                received_at=utc_now() - timedelta(hours=30),
            )
        )
    assert await app.report_outage()
    await wait_for_mails(smtp_server, 1)
    assert smtp_server.mails[-1]["Subject"] == "[tsbot] the bot was away for 30 h"

    foreign = Fernet(Fernet.generate_key()).encrypt(b"secret").decode()
    with pytest.raises(SecretDecryptError):
        app.keystore.decrypt(foreign)
    await wait_for_mails(smtp_server, 2)
    assert smtp_server.mails[-1]["Subject"] == "[tsbot] a stored secret no longer decrypts"

    breaker = breaker_for("binance")
    for _ in range(DEFAULT_THRESHOLD):
        breaker.failed()
    await wait_for_mails(smtp_server, 3)
    assert smtp_server.mails[-1]["Subject"] == "[tsbot] exchange binance is failing"

    await app.aclose()  # unhooks: another venue opening after the close mails nothing
    other = breaker_for("okx")
    for _ in range(DEFAULT_THRESHOLD):
        other.failed()
    assert not app.alerts._tasks  # the listener (which queues a mail at once) is gone
    assert len(smtp_server.mails) == 3


async def test_without_smtp_nothing_is_hooked(make_app: AppFactory) -> None:
    app = await make_app()
    assert app.alerts is not None and not app.alerts.enabled
    assert app.keystore.on_failure is None
