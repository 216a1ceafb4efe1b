"""Composition root: the only place that builds things, and closes them in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

from bot.dispatcher import create_dispatcher
from bot.features import Feature, FeatureContext, Hook, Job, feature_builders
from bot.features import webapp as webapp_feature
from bot.features.alerts import build_alerts
from bot.features.alerts import feature as alerts_feature
from bot.handoff import SignalHandoff, is_signal_payload
from bot.isolation import IsolatedRedisStorage, RedisIsolation
from bot.outbox import OutboxSender
from bot.response_models import pin_response_models
from core.cache import KeyValue
from core.clock import Clock, utc_now
from core.config import Settings
from core.db.session import Database
from core.logging import Redactor, configure_logging
from core.metrics import Metrics
from core.security import KeyStore, resolve_encryption_keys
from core.sentry import init_sentry
from handlers.access_render import AccessHtml
from handlers.deps import Services
from services.alerts.service import AdminAlerts
from services.inbox import HANDOFF_S, MAX_ATTEMPTS, TELEGRAM_KEEPS, InboxService
from services.notifications import OutboxNotifier
from services.users import UserService

if TYPE_CHECKING:
    from services.signal_parser.ai import AIParser

log = structlog.get_logger(__name__)

CONSOLE_TOKEN = "1000000:console-local-bot-api-stand-in"  # noqa: S105 - not a secret


def build_keystore(settings: Settings, redactor: Redactor | None = None) -> KeyStore:
    key = settings.security.encryption_key
    keys = resolve_encryption_keys(
        key.get_secret_value() if key else None,
        data_dir=settings.security.data_dir,
        production=settings.is_production,
    )
    return KeyStore(keys, on_decrypt=redactor.register if redactor else None)


def build_ai_parser(settings: Settings) -> AIParser | None:
    """The signal parser's AI fallback, or None when no OpenAI-compatible key is configured."""
    if not settings.ai.enabled or settings.ai.openai_api_key is None:
        return None
    from openai import AsyncOpenAI

    from services.signal_parser.ai import AIParser

    client = AsyncOpenAI(
        api_key=settings.ai.openai_api_key.get_secret_value(),
        base_url=settings.ai.openai_base_url,
        timeout=settings.ai.timeout_s,
        max_retries=0,
    )
    return AIParser(client, model=settings.ai.model, timeout=settings.ai.timeout_s)


def build_storage(settings: Settings, kv: KeyValue) -> tuple[BaseStorage, BaseEventIsolation]:
    if kv.redis is not None:
        storage = IsolatedRedisStorage(
            kv.redis,
            key_builder=DefaultKeyBuilder(with_bot_id=True, with_destiny=True),
            state_ttl=settings.redis.fsm_ttl_s,
            data_ttl=settings.redis.fsm_ttl_s,
        )
        # A handler that outlives the inbox lease is presumed dead (its update is re-run), so
        # its per-user lock must not outlive it either, or the re-run would wait on a ghost.
        lease = settings.limits.inbox_lease_s
        return storage, RedisIsolation(kv.redis, storage.key_builder, ttl_s=lease)
    return MemoryStorage(), SimpleEventIsolation()


@dataclass
class App:
    settings: Settings
    db: Database
    kv: KeyValue
    keystore: KeyStore
    redactor: Redactor
    metrics: Metrics
    bot: Bot
    dispatcher: Dispatcher
    inbox: InboxService
    users: UserService
    outbox: OutboxSender
    notifier: OutboxNotifier
    services: Services
    clock: Clock = utc_now
    alerts: AdminAlerts | None = None  # e-mail to the admins for critical events
    handoff: SignalHandoff | None = None  # SIGNAL_WORKER on: channel posts go to the worker
    closers: list[Hook] = field(default_factory=list)
    start_hooks: list[Hook] = field(default_factory=list)
    background: list[Job] = field(default_factory=list)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_start(self) -> None:
        """Before taking new updates: tell the admins of a long outage, finish what a dead
        process left, run start hooks."""
        await self.report_outage()
        recovered = await self.recover_inbox()
        if recovered:
            log.warning("inbox_recovered_at_start", count=recovered)
        for hook in self.start_hooks:
            await hook()

    def start_background(self) -> None:
        """Outbox sender and inbox recovery, until ``aclose``."""
        self._tasks.append(asyncio.create_task(self.outbox.run(self._stop), name="outbox"))
        self._tasks.append(asyncio.create_task(self._recover_forever(), name="inbox-recovery"))
        self.start_lease_renewal()
        if self.handoff is not None:  # what no worker took in time is run here
            failover = self.handoff.failover(self._stop, self.take_back_signal_posts)
            self._tasks.append(asyncio.create_task(failover, name="signal-failover"))
        for job in self.background:
            self._tasks.append(asyncio.create_task(job(self._stop)))

    def start_lease_renewal(self) -> None:
        """Only the inbox lease renewal, until ``aclose`` (all the signal worker runs)."""
        self._tasks.append(asyncio.create_task(self._renew_forever(), name="inbox-lease"))

    async def recover_inbox(self) -> int:
        """Re-run updates left unfinished past their lease (their process died)."""
        return len(await self._recover())

    async def _recover(self) -> list[str]:
        """``recover_inbox``: the raw updates it re-ran."""
        recovered: list[str] = []
        while batch := await self.inbox.claim_stale():
            for _update_id, payload in batch:
                await self.feed_raw(payload, claimed=True)
                recovered.append(payload)
        self.metrics.inbox_recovered.inc(len(recovered))
        return recovered

    async def take_back_signal_posts(self) -> int:
        """The signal worker's failover pass (bot/handoff.py): inbox recovery, which runs here
        the posts no worker took within their hand-off lease. When it ran any, the admins are
        told, once an hour: every post then waits ``HANDOFF_S`` before it is handled, and with
        ``SIGNAL_WORKER=external`` nothing else would say that no worker is running."""
        # the pass recovers any stale row: only the channel posts are the worker's
        taken = sum(1 for raw in await self._recover() if is_signal_payload(raw))
        if not taken:
            return 0
        self.metrics.signal_posts.labels("taken_back").inc(taken)
        hour = f"{self.clock():%Y%m%d%H}"
        for admin_id in self.settings.telegram.admin_ids:
            await self.notifier.notify(
                admin_id,
                f"⚠️ No signal worker took {taken} channel post(s) within {HANDOFF_S:g} s, so "
                "this process handled them after that wait. Check that "
                "<code>tsbot signals</code> is running (SIGNAL_WORKER) and not overloaded; "
                f"until it is, every signal is {HANDOFF_S:g} s late.",
                dedupe_key=f"signal-worker-silent:{hour}:{admin_id}",
            )
        if self.alerts is not None:
            self.alerts.signal_worker_silent(taken)
        return taken

    async def report_outage(self) -> bool:
        """An outage longer than Telegram keeps updates (24 h) may have lost posts: the admins
        are told once, with the times (F4). Shorter ones are only logged: their backlog is
        delivered and stale signals are notified, not traded."""
        last = await self.inbox.last_seen()
        if last is None:
            return False
        update_id, received_at = last
        away = self.clock() - received_at
        if away <= TELEGRAM_KEEPS:
            if away > timedelta(minutes=5):
                log.warning("restarted_after_outage", minutes=int(away.total_seconds() // 60))
            return False
        hours = int(away.total_seconds() // 3600)
        lost_before = self.clock() - TELEGRAM_KEEPS
        log.warning("long_outage", hours=hours, last_update_id=update_id)
        for admin_id in self.settings.telegram.admin_ids:
            await self.notifier.notify(
                admin_id,
                f"⚠️ The bot was away for {hours} h (the last update came "
                f"{received_at:%Y-%m-%d %H:%M} UTC). Telegram keeps undelivered updates for 24 "
                f"h, so posts and messages from before {lost_before:%Y-%m-%d %H:%M} UTC may be "
                "lost: check your sources' recent posts.",
                dedupe_key=f"outage:{update_id}:{admin_id}",
            )
        if self.alerts is not None:
            self.alerts.long_outage(hours, received_at)
        return True

    async def report_jumps(self) -> int:
        """Tell the admins when update ids jumped (Telegram renumbered, or updates were lost)."""
        jumps, self.inbox.jumps = self.inbox.jumps, []
        for before, after in jumps:
            for admin_id in self.settings.telegram.admin_ids:
                await self.notifier.notify(
                    admin_id,
                    f"⚠️ Telegram's update numbering jumped from {before} to {after}: after a "
                    "long silence Telegram starts again at a new number, or updates in between "
                    "were lost. Nothing is dropped for it; check your sources' recent posts.",
                    dedupe_key=f"update-jump:{before}:{after}:{admin_id}",
                )
        return len(jumps)

    async def report_parked(self) -> int:
        """Tell the admins about updates parked as poison (tried too often, never run again)."""
        parked, self.inbox.parked = self.inbox.parked, []
        for update_id in parked:
            for admin_id in self.settings.telegram.admin_ids:
                await self.notifier.notify(
                    admin_id,
                    f"⚠️ Update {update_id} failed {MAX_ATTEMPTS} times and was parked: it will "
                    "not be run again. The logs have its errors (inbox_update_parked).",
                    dedupe_key=f"parked:{update_id}:{admin_id}",
                )
        return len(parked)

    async def feed_raw(self, payload: str, *, claimed: bool) -> Any:
        from aiogram.types import Update

        update = Update.model_validate_json(payload, context={"bot": self.bot})
        return await self.dispatcher.feed_update(self.bot, update, inbox_claimed=claimed)

    async def _recover_forever(self) -> None:
        interval = max(1.0, self.settings.limits.inbox_lease_s / 2)
        while not self._stop.is_set():
            try:
                await self.recover_inbox()
                await self.report_parked()
                await self.report_jumps()
                await self.inbox.prune()
            except Exception:  # keep recovering; the rows stay in the inbox
                log.exception("inbox_recovery_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)

    async def _renew_forever(self) -> None:
        """Every third of the lease, renew the lease of every update still being handled here
        (its own task: a slow handler in recovery must not hold the renewals up)."""
        interval = max(0.2, self.settings.limits.inbox_lease_s / 3)
        while not self._stop.is_set():
            try:
                await self.inbox.renew()
            except Exception:  # the next pass tries again; the lease has two more thirds
                log.exception("inbox_lease_renewal_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)

    async def aclose(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.inbox.aclose()
        # FSM storage and isolation, and what middlewares registered (rate-limit summaries)
        await self.dispatcher.emit_shutdown()
        await self.bot.session.close()
        for closer in reversed(self.closers):
            await closer()
        await self.kv.aclose()
        await self.db.aclose()


async def build_app(
    settings: Settings,
    *,
    session: BaseSession | None = None,
    token: str | None = None,
    redactor: Redactor | None = None,
    configure_logs: bool = True,
    check_services: bool = True,
    kv: KeyValue | None = None,
    clock: Clock = utc_now,
) -> App:
    """Build everything from settings. Raises ``ServiceUnavailable`` naming an unreachable
    database or Redis, ``ConfigError`` for a bad encryption key."""
    redactor = _redactor(settings, redactor, configure_logs=configure_logs)
    init_sentry(settings.sentry, redactor, settings.environment.value)
    db, kv, keystore = await _open_stores(settings, kv, redactor, check=check_services)
    alerts = build_alerts(settings, kv, keystore, redactor)
    bot = _build_bot(settings, session, token)
    metrics = Metrics()
    users = UserService(
        db, settings.telegram.admin_ids, kv.cache, access=settings.access, messages=AccessHtml()
    )
    notifier = OutboxNotifier(db)
    context = FeatureContext(
        settings=settings,
        db=db,
        kv=kv,
        keystore=keystore,
        notifier=notifier,
        users=users,
        metrics=metrics,
        clock=clock,
        services=Services(user_service=users),
        bot=bot,
    )
    features = [*await _build_features(context), alerts_feature(settings, db, alerts, clock)]
    inbox = InboxService(db, settings.limits.inbox_lease_s, keystore, clock)  # seal/unseal only
    dispatcher = _build_dispatcher(context, inbox, features)
    return App(
        settings=settings,
        db=db,
        kv=kv,
        keystore=keystore,
        redactor=redactor,
        metrics=metrics,
        bot=bot,
        dispatcher=dispatcher,
        inbox=inbox,
        users=users,
        outbox=OutboxSender(bot, db, kv, settings.limits, users, metrics, clock=clock),
        notifier=notifier,
        services=context.services,
        clock=clock,
        alerts=alerts,
        handoff=SignalHandoff(inbox, kv.redis, metrics)
        if settings.worker.enabled and kv.redis is not None
        else None,
        start_hooks=[hook for f in features for hook in f.start_hooks]
        + webapp_feature.start_hooks(settings.webapp, bot),
        background=[job for f in features for job in f.background],
        closers=[closer for f in features for closer in f.closers],
    )


def _build_dispatcher(
    context: FeatureContext, inbox: InboxService, features: list[Feature]
) -> Dispatcher:
    storage, isolation = build_storage(context.settings, context.kv)
    return create_dispatcher(
        settings=context.settings,
        services=context.services,
        storage=storage,
        isolation=isolation,
        inbox=inbox,
        users=context.users,
        kv=context.kv,
        metrics=context.metrics,
        clock=context.clock,
        feature_routers=[router for f in features for router in f.routers],
    )


def _redactor(settings: Settings, redactor: Redactor | None, *, configure_logs: bool) -> Redactor:
    """The log redactor (set up with logging unless the caller owns logging), knowing the token."""
    if configure_logs:
        redactor = configure_logging(
            settings.logging.level,
            settings.logging.format,
            production=settings.is_production,
            redactor=redactor,
        )
    redactor = redactor or Redactor()
    if settings.telegram.bot_token is not None:
        redactor.register(settings.telegram.bot_token.get_secret_value())
    return redactor


async def _open_stores(
    settings: Settings, kv: KeyValue | None, redactor: Redactor, *, check: bool
) -> tuple[Database, KeyValue, KeyStore]:
    """Database, key-value layer and key store; both stores closed again if any part fails."""
    db = Database(
        settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size
    )
    kv = kv or KeyValue.from_url(settings.redis.url, lock_lease_s=settings.redis.lock_lease_s)
    try:
        if check:
            await db.check_reachable()
            await kv.check_reachable()
        keystore = build_keystore(settings, redactor)
    except BaseException:
        await kv.aclose()
        await db.aclose()
        raise
    return db, kv, keystore


def _build_bot(settings: Settings, session: BaseSession | None, token: str | None) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_url))
    if token is None:
        token = (
            settings.telegram.bot_token.get_secret_value()
            if settings.telegram.bot_token
            else CONSOLE_TOKEN
        )
    pin_response_models()
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


async def _build_features(context: FeatureContext) -> list[Feature]:
    """Each feature in order; what one builds is in ``context`` for the next."""
    features = []
    for builder in feature_builders():
        feature = await builder(context)
        context.services.update(feature.services)
        if feature.exchange_factory is not None:
            context.exchange_factory = feature.exchange_factory
        features.append(feature)
    return features
