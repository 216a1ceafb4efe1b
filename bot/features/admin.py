"""Wiring of the admin tools (issue 12): ``AdminService`` in workflow data, the /users, /user
and /broadcast routers, and the broadcast watcher (a background job).

The watcher edits each sending broadcast's progress message as its copies settle, at most
every ``WATCH_S`` and within the admin chat's own budget (the outbox's per-chat limiter, so a
progress edit and the admin's own copy never exceed Telegram's per-chat rate together), and
turns it into the result (delivered / blocked / failed) when none is pending. A broadcast's
state is in the database, so a restarted process picks up where the last one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.features import Feature, FeatureContext, Job
from core.cache import KeyValue
from handlers import admin_users, broadcast
from handlers.admin_render import broadcast_progress
from services.admin.broadcast import BroadcastService
from services.admin.dto import BroadcastProgress
from services.admin.service import AdminService
from services.sources import SourceService

log = structlog.get_logger(__name__)

WATCH_S: Final = 2.0


class BroadcastWatcher:
    """Shows each broadcast's progress on its admin's message, and the result at the end."""

    def __init__(
        self,
        bot: Bot,
        broadcasts: BroadcastService,
        kv: KeyValue,
        chat_rate: float,
        *,
        interval_s: float = WATCH_S,
    ) -> None:
        self._bot = bot
        self._broadcasts = broadcasts
        self._kv = kv
        self._rate = chat_rate
        self._interval = interval_s
        self._shown: dict[int, str] = {}  # broadcast id -> the text its message shows

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.watch_once()
            except Exception:  # keep watching (the database may be away); the rows stay
                log.exception("broadcast_watch_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)

    async def watch_once(self) -> int:
        """One look at every sending broadcast; returns how many finished in it."""
        finished = 0
        for progress in await self._broadcasts.sending():
            done = progress.status == "done"
            finished += done
            await self._show(progress, final=done)
        return finished

    async def _show(self, progress: BroadcastProgress, *, final: bool) -> None:
        text = broadcast_progress(progress)
        if self._shown.get(progress.id) == text:
            return
        slot = await self._kv.limiter.hit(f"out:chat:{progress.chat_id}", rate=self._rate, burst=1)
        if not slot.allowed:
            if not final:
                return  # the next look shows newer counts anyway
            await asyncio.sleep(slot.retry_after)  # the result is shown once: wait for it
        try:
            if progress.message_id is None:
                await self._bot.send_message(progress.chat_id, text)
            else:
                await self._bot.edit_message_text(
                    text, chat_id=progress.chat_id, message_id=progress.message_id
                )
        except TelegramAPIError as exc:  # deleted message, blocked admin...: counts stay in DB
            log.info("broadcast_progress_not_shown", error=type(exc).__name__)
        self._shown[progress.id] = text
        if final:
            self._shown.pop(progress.id, None)
            log.info(
                "broadcast_finished",
                broadcast_id=progress.id,
                delivered=progress.delivered,
                blocked=progress.blocked,
                failed=progress.failed,
            )


async def build(ctx: FeatureContext) -> Feature:
    sources: SourceService | None = ctx.services.get("source_service")
    if sources is None:  # built by the signals feature, which comes first
        raise RuntimeError("the admin feature needs the signals feature built before it")
    service = AdminService.build(
        ctx.db,
        ctx.users,
        sources,
        access=ctx.settings.access,
        admin_ids=ctx.settings.telegram.admin_ids,
        metrics=ctx.metrics,
        clock=ctx.clock,
    )
    background: list[Job] = []
    if ctx.bot is not None:
        watcher = BroadcastWatcher(
            ctx.bot, service.broadcasts, ctx.kv, ctx.settings.limits.outbox_chat_per_s
        )
        background.append(watcher.run)
    return Feature(
        services={"admin_service": service},
        routers=[admin_users.routes.build(), broadcast.routes.build()],
        background=background,
    )
