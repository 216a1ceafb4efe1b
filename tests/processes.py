"""Real bot processes for the tests that need one (kills, restarts, a second process): the
one way they are started, so every such test runs the checkout's ``python -m bot`` alike, and
the one wait on what such a process (or any other party) does: a condition polled until it
holds, with a deadline."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[1]


async def spawn_bot(
    *args: str, env: dict[str, str], stderr: int | IO[bytes] = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """``python -m bot <args>`` from the checkout with exactly ``env`` (no ``.env`` file is
    read); its output dropped, its stderr to ``stderr`` (a file for a long run: a pipe nobody
    reads would fill and stop it)."""
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "--env-file", os.devnull, *args),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )


async def until(
    what: str,
    condition: Callable[[], Awaitable[bool] | bool],
    deadline_s: float,
    *,
    alive: Callable[[], None] | None = None,
    tail: Callable[[], str] | None = None,
) -> None:
    """Poll ``condition`` (sync or async) until it holds; fail naming ``what`` (and ``tail()``,
    e.g. a process's last words) after ``deadline_s``. ``alive`` is called between polls to
    fail at once when a process the wait depends on has ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if alive is not None:
            alive()
        if loop.time() > deadline:
            pytest.fail(f"not within {deadline_s} s: {what}" + (f"\n{tail()}" if tail else ""))
        await asyncio.sleep(0.05)  # polling interval, not a wait for anything in particular
