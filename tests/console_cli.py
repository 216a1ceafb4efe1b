"""Running ``tsbot`` as an operator would: a fresh directory, its own SQLite file and DATA_DIR,
no ``.env``, one process per call (used by the console tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_tsbot(
    tmp_path: Path, *args: str, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "tsbot"
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "bot"]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
        "DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [*command, "--env-file", "/dev/null", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=timeout,
        check=False,
    )
