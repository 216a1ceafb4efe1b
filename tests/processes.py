"""Real bot processes for the tests that need one (kills, restarts, a second process): the
one way they are started, so every such test runs the checkout's ``python -m bot`` alike."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import IO

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
