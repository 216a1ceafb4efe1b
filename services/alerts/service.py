"""Critical events told to the admins by e-mail, beside (or, for a stuck outbox, instead of)
the chat: the ``AdminAlerts`` service, the ``MailSender`` port it sends through, and the texts.

Invariants:
- Never blocks or breaks the bot: ``raise_alert`` only schedules a task; each send is bounded
  by a timeout; a failing mail server is logged (the error's type, never its text or the
  settings) and the event stays retryable.
- One mail per event kind and scope (e.g. one exchange) per window, across processes when the
  cache is Redis: the window's key is taken with an atomic add, and given back if the mail
  could not be sent, so the next occurrence tries again. While the cache is unreachable the
  window is kept in this process (a Redis outage is no time to lose alerts, nor to flood).
- Every subject and body passes through the log redactor's ``scrub`` before it leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

import structlog

from core.cache import Cache, RedisError

log = structlog.get_logger(__name__)

__all__ = ["AdminAlerts", "Alert", "AlertKind", "MailSender"]

SUBJECT_PREFIX: Final = "[tsbot] "
CLOSE_GRACE_S: Final = 5.0  # how long closing waits for mails still being sent


class AlertKind(StrEnum):
    OUTBOX_STUCK = "outbox_stuck"
    EXCHANGE_DOWN = "exchange_down"
    KEY_UNDECRYPTABLE = "key_undecryptable"
    LONG_OUTAGE = "long_outage"
    SIGNAL_WORKER_SILENT = "signal_worker_silent"


@dataclass(frozen=True, slots=True)
class Alert:
    """One critical event; ``scope`` narrows the dedupe (one mail per kind and scope)."""

    kind: AlertKind
    subject: str
    body: str
    scope: str = ""

    @property
    def dedupe_key(self) -> str:
        return f"alert:{self.kind.value}:{self.scope}"


class MailSender(Protocol):
    async def send(self, subject: str, body: str) -> None:
        """Deliver one plain-text mail to the admins; raises on any failure."""
        ...


class AdminAlerts:
    """Sends alerts through ``sender`` (None: e-mail is off, every alert is dropped quietly)."""

    def __init__(
        self,
        sender: MailSender | None,
        cache: Cache,
        *,
        window_s: float,
        timeout_s: float,
        scrub: Callable[[str], str],
    ) -> None:
        self._sender = sender
        self._cache = cache
        self._window_s = window_s
        self._timeout_s = timeout_s
        self._scrub = scrub
        self._tasks: set[asyncio.Task[bool]] = set()
        self._local: dict[str, float] = {}  # dedupe key -> window end, while the cache is down

    @property
    def enabled(self) -> bool:
        return self._sender is not None

    def raise_alert(self, alert: Alert) -> None:
        """Send in the background (safe from synchronous code, e.g. a circuit breaker)."""
        if self._sender is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(self.send(alert), name="alert-mail")
        except RuntimeError:  # no loop (a CLI outside asyncio): nothing to send it with
            log.warning("alert_mail_dropped", kind=alert.kind.value, reason="no event loop")
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(self, alert: Alert) -> bool:
        """Send now unless one of its kind and scope went out this window; True when sent.
        Never raises for a mail failure (it is logged)."""
        if self._sender is None:
            return False
        if not await self._claim(alert.dedupe_key):
            log.info("alert_mail_deduped", kind=alert.kind.value)
            return False
        subject = self._scrub(SUBJECT_PREFIX + alert.subject)
        try:
            await asyncio.wait_for(
                self._sender.send(subject, self._scrub(alert.body)), self._timeout_s
            )
        except Exception as exc:  # any mail failure: logged, the bot goes on
            log.error("alert_mail_failed", kind=alert.kind.value, error=type(exc).__name__)
            with contextlib.suppress(Exception):  # a cache outage must not raise from here
                await self._cache.delete(alert.dedupe_key)
            return False
        log.warning("alert_mail_sent", kind=alert.kind.value)
        return True

    async def _claim(self, key: str) -> bool:
        """Take this window for ``key``; False when it was taken already."""
        try:
            return await self._cache.add_json(key, 1, self._window_s)
        except (RedisError, OSError, TimeoutError):
            now = time.monotonic()
            if self._local.get(key, 0.0) > now:
                return False
            self._local[key] = now + self._window_s
            return True

    def key_failed(self) -> None:
        """The key store's hook: a stored secret did not decrypt with the configured keys."""
        self.raise_alert(
            Alert(
                AlertKind.KEY_UNDECRYPTABLE,
                "a stored secret no longer decrypts",
                "A stored exchange secret (or a sealed update) could not be decrypted with the "
                "configured ENCRYPTION_KEY. Its owner cannot trade until it opens again.\n\n"
                "Restore the previous key, or list it after the new one while rotating "
                "(ENCRYPTION_KEY=new,old), then run `tsbot keys rotate`.",
            )
        )

    def exchange_down(self, venue: str, failures: int) -> None:
        """The circuit breaker's hook: ``venue`` failed ``failures`` times in a row."""
        self.raise_alert(
            Alert(
                AlertKind.EXCHANGE_DOWN,
                f"exchange {venue} is failing",
                f"The exchange {venue} failed {failures} requests in a row (timeouts, 5xx or "
                "rate limits), so the bot stopped calling it for a while. Orders for it are "
                "refused unsent until it answers again; the bot retries by itself.",
                scope=venue,
            )
        )

    def outbox_stuck(self, count: int, oldest: datetime) -> None:
        self.raise_alert(
            Alert(
                AlertKind.OUTBOX_STUCK,
                f"{count} Telegram messages are stuck",
                f"{count} queued Telegram messages are still unsent; the oldest was queued at "
                f"{oldest:%Y-%m-%d %H:%M} UTC. The sender may be down, blocked by Telegram, or "
                "the bot token revoked: check the logs (outbox_*).",
            )
        )

    def long_outage(self, hours: int, last_update_at: datetime) -> None:
        self.raise_alert(
            Alert(
                AlertKind.LONG_OUTAGE,
                f"the bot was away for {hours} h",
                f"The bot was away for {hours} h (the last update came "
                f"{last_update_at:%Y-%m-%d %H:%M} UTC). Telegram keeps undelivered updates for "
                "24 h, so posts from before then may be lost: check your sources' recent posts.",
                scope=f"{last_update_at:%Y%m%d%H%M}",
            )
        )

    def signal_worker_silent(self, posts: int) -> None:
        """The signal worker's failover ran ``posts`` channel posts no worker took in time."""
        self.raise_alert(
            Alert(
                AlertKind.SIGNAL_WORKER_SILENT,
                "no signal worker is taking channel posts",
                f"{posts} channel post(s) were not taken by a signal worker within their "
                "hand-off lease, so the receiving process handled them late. Check that "
                "`tsbot signals` is running (SIGNAL_WORKER) and not overloaded.",
            )
        )

    async def aclose(self) -> None:
        """Let mails being sent finish (bounded), then cancel what is left."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE_S)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
