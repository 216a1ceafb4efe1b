"""Run alembic from code: upgrade, downgrade, and check that the models match the schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from core.db.session import Database

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def _run(connection: Connection, cfg: Config, action: str, revision: str) -> None:
    cfg.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(cfg, revision)
    elif action == "downgrade":
        command.downgrade(cfg, revision)
    elif action == "check":
        command.check(cfg)
    else:  # pragma: no cover - programming error
        raise ValueError(action)


async def run(db: Database, action: str = "upgrade", revision: str = "head") -> None:
    """Run an alembic command on ``db``'s engine from inside a running event loop."""
    cfg = alembic_config(db.url)
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, cfg, action, revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    await run(db, "upgrade", revision)
