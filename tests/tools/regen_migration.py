"""Regenerate the initial migration from the models (nothing is released yet, so the schema
lives in one migration). Runs autogenerate against a throwaway PostgreSQL:

    .venv/bin/python -m tests.tools.regen_migration
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from alembic import command

from core.db.migrate import alembic_config
from core.db.session import Database
from tests.services import postgres_server

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "migrations" / "versions"


async def _generate(url: str) -> None:
    db = Database(url)
    cfg = alembic_config(db.url)

    def revision(conn: object) -> None:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")

    async with db.engine.begin() as conn:
        await conn.run_sync(revision)
    await db.aclose()


def main() -> int:
    for old in VERSIONS.glob("*_0001_*.py"):
        old.unlink()
    with postgres_server() as pg:
        asyncio.run(_generate(pg.url()))
    ruff = ROOT / ".venv" / "bin" / "ruff"
    files = [str(p) for p in VERSIONS.glob("*_0001_*.py")]
    subprocess.run([str(ruff), "check", "--fix", "-q", *files], check=False)
    subprocess.run([str(ruff), "format", "-q", *files], check=False)
    print("regenerated", *files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
