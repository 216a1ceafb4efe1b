"""A real bot process (``python -m bot run``) for the fault tests: started, watched, killed
(SIGKILL) or stopped (SIGTERM), with its stderr in a file (a fault logs a lot: a pipe nobody
reads would fill and stop the process), and a wait on a condition with a deadline."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.processes import spawn_bot
from tests.processes import until as wait_until


class BotProcess:
    """One bot process at a time; ``start`` again after a kill runs a new one (same env)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as sink:
            self.proc = await spawn_bot("run", env=self._env, stderr=sink)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def alive(self) -> None:
        """Fail at once, with its last words, when the process ended on its own."""
        assert self.proc is not None
        if self.proc.returncode is not None:
            pytest.fail(f"the bot process ended ({self.proc.returncode}):\n{self.tail()}")

    async def kill(self) -> None:
        """SIGKILL (no clean-up of any kind), and reap it."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM (SIGKILL if it has not ended after 30 s); its exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        assert self.proc.returncode is not None
        return self.proc.returncode


async def until(
    bot: BotProcess,
    what: str,
    condition: Callable[[], Awaitable[bool] | bool],
    deadline_s: float,
) -> None:
    """``tests.processes.until`` failing at once, with its last words, when ``bot`` ended on
    its own."""
    await wait_until(what, condition, deadline_s, alive=bot.alive, tail=bot.tail)
