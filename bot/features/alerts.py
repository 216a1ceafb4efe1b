"""Wiring of the admins' e-mail alerts (off unless ``SMTP_HOST`` and ``SMTP_TO`` are set).

``build_alerts`` makes the ``AdminAlerts`` service (always: without SMTP it drops every alert)
and hooks it where critical events happen: the key store's decrypt failures and every
exchange circuit that opens. ``feature`` adds the stuck-outbox check as a background job (once
a minute) and closers that unhook the circuit listener and let mails in flight finish.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Final

import structlog

from bot.features import Feature
from core.cache import KeyValue
from core.clock import Clock
from core.config import Settings
from core.db.session import Database
from core.logging import Redactor
from core.security import KeyStore
from services.alerts.outbox_watch import OutboxWatch
from services.alerts.service import AdminAlerts
from services.alerts.smtp import SmtpMailer
from services.exchange import circuit

log = structlog.get_logger(__name__)

OUTBOX_CHECK_S: Final = 60.0


def build_alerts(
    settings: Settings, kv: KeyValue, keystore: KeyStore, redactor: Redactor
) -> AdminAlerts:
    smtp = settings.smtp
    alerts = AdminAlerts(
        SmtpMailer(smtp) if smtp.enabled else None,
        kv.cache,
        window_s=smtp.dedupe_min * 60,
        timeout_s=smtp.timeout_s,
        scrub=redactor.scrub,
    )
    if alerts.enabled:
        keystore.on_failure = alerts.key_failed
        log.info("alert_mail_enabled", recipients=len(smtp.to))
    return alerts


def feature(
    settings: Settings,
    db: Database,
    alerts: AdminAlerts,
    clock: Clock,
    *,
    interval_s: float = OUTBOX_CHECK_S,
) -> Feature:
    """The stuck-outbox job and the closers (nothing at all when e-mail is off)."""
    if not alerts.enabled:
        return Feature()
    remove_listener = circuit.on_open(alerts.exchange_down)
    watch = OutboxWatch(db, alerts, timedelta(minutes=settings.smtp.outbox_stuck_min), clock=clock)

    async def watch_outbox(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await watch.check()
            except Exception:  # keep watching; the next pass asks again
                log.exception("outbox_watch_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    async def unhook() -> None:
        remove_listener()

    return Feature(background=[watch_outbox], closers=[alerts.aclose, unhook])
