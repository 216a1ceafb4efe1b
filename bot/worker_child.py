"""``tsbot run`` with SIGNAL_WORKER=child: the signal worker (``tsbot signals``) as a child.

One command still runs everything: the child is started with the parent's environment and
settings file, restarted when it ends on its own (after 1 s, doubling to 30 s while it keeps
ending within a minute of its start), and on shutdown sent SIGTERM and given the worker's grace
to finish its posts (then SIGKILL). Nothing is lost while it is down: the posts handed to it
are run by the receiving process's recovery after their hand-off lease (bot/handoff.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Final

import structlog

from bot.signal_worker import GRACE_S

log = structlog.get_logger(__name__)

RESTART_MIN_S: Final = 1.0
RESTART_MAX_S: Final = 30.0
STABLE_S: Final = 60.0  # a child that ran this long starts the backoff over
STOP_GRACE_S: Final = GRACE_S + 5


def worker_command(env_file: str | None) -> list[str]:
    """``python -m bot --env-file FILE signals --parent-pid PID`` with this interpreter (the
    child ends itself should this process die without ending it: SIGKILL)."""
    return [
        *(sys.executable, "-m", "bot", "--env-file", env_file or os.devnull, "signals"),
        *("--parent-pid", str(os.getpid())),
    ]


async def supervise(command: list[str], stop: asyncio.Event) -> None:
    """Run ``command`` until ``stop``, restarting it with backoff whenever it ends."""
    loop = asyncio.get_running_loop()
    delay = RESTART_MIN_S
    while not stop.is_set():
        started = loop.time()
        try:
            proc = await asyncio.create_subprocess_exec(*command)
        except OSError as exc:
            log.error("signal_worker_child_not_started", error=type(exc).__name__)
        else:
            log.info("signal_worker_child_started", pid=proc.pid)
            if await _until_exit_or_stop(proc, stop):
                return
            log.error("signal_worker_child_exited", code=proc.returncode, restart_in=delay)
        if loop.time() - started >= STABLE_S:
            delay = RESTART_MIN_S
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, RESTART_MAX_S)


async def _until_exit_or_stop(proc: asyncio.subprocess.Process, stop: asyncio.Event) -> bool:
    """Wait for the child to end (False) or for ``stop``: then end it and return True."""
    exited = asyncio.ensure_future(proc.wait())
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({exited, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not exited.done():  # stopping (or cancelled): the child must not outlive us
            await _end(proc, exited)
    return stop.is_set()


async def _end(proc: asyncio.subprocess.Process, exited: asyncio.Future[int]) -> None:
    """SIGTERM, the worker's grace to finish its posts, then SIGKILL; reaped either way."""
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(asyncio.shield(exited), STOP_GRACE_S)
    except TimeoutError:
        log.error("signal_worker_child_killed", pid=proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await exited
    log.info("signal_worker_child_stopped", code=proc.returncode)
