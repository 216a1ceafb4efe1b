"""The tsbot command line: help, migrate, admin grant, keys rotate, and start-up failures that
end in one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.db.models import AuditEntry, ExchangeAccount, InboxUpdate, User
from core.db.session import Database
from core.domain import Role
from core.security import KeyStore
from services.keys import rotate_keys
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def tsbot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", "/dev/null", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["console"], ["migrate"], ["keys", "rotate"], ["admin", "grant"], ["parse"]],
    ids=str,
)
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = tsbot(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: tsbot" in result.stdout


def test_migrate_then_grant_on_the_embedded_database(tmp_path: Path) -> None:
    migrated = tsbot("migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "data" / "tsbot.db").exists()
    granted = tsbot("admin", "grant", "4242", "viewer", cwd=tmp_path)
    assert granted.returncode == 0, granted.stderr
    assert "4242 is now viewer" in granted.stdout
    refused = tsbot("admin", "grant", "4242", "emperor", cwd=tmp_path)
    assert refused.returncode == 1
    assert "Unknown role" in refused.stderr and "Traceback" not in refused.stderr


def test_invalid_settings_list_every_problem(tmp_path: Path) -> None:
    result = tsbot("migrate", cwd=tmp_path, DATABASE_URL="postgres://x/y", WEBHOOK_PORT="eighty")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["WEBHOOK_PORT", "DATABASE_URL"]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing written


def test_unreachable_database_is_named(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql+asyncpg://u:secretpw@127.0.0.1:{port}/db"
    result = tsbot("migrate", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 3
    assert (
        f"Database unreachable at postgresql+asyncpg://u:***@127.0.0.1:{port}/db" in result.stderr
    )
    assert "secretpw" not in result.stderr and "Traceback" not in result.stderr


def test_unreachable_redis_is_named(tmp_path: Path) -> None:
    assert tsbot("migrate", cwd=tmp_path).returncode == 0
    port = free_port()
    result = tsbot("console", cwd=tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 3
    assert f"Redis unreachable at 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_runs_start_and_help(tmp_path: Path) -> None:
    # no "tsbot migrate" first: the console brings its own database to the schema
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", "/dev/null", "console"],
        cwd=tmp_path,
        input="/start\n/help\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Welcome" in result.stdout
    assert "/help [command] - the commands you can use" in result.stdout
    assert "/grant" in result.stdout  # the default console user is an admin


async def _account(db: Database, keystore: KeyStore, secret: str) -> None:
    async with db.transaction() as session:
        user = User(telegram_id=1, role=Role.TRADER, settings={})
        session.add(user)
        await session.flush()
        session.add(
            ExchangeAccount(
                user_id=user.id,
                exchange_id="binance",
                label="main",
                api_key_enc=keystore.encrypt("api-key-123456"),
                secret_enc=keystore.encrypt(secret),
            )
        )


async def test_keys_rotate_re_encrypts_everything_in_one_transaction(db: Database) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    await _account(db, KeyStore([old]), "the-secret-value")
    async with db.transaction() as session:  # an update still waiting in the inbox, sealed
        session.add(InboxUpdate(update_id=77, payload=KeyStore([old]).seal('{"update_id": 77}')))
    assert await rotate_keys(db, KeyStore([new, old])) == 1
    async with db.session() as session:
        account = await session.scalar(select(ExchangeAccount))
        audit = await session.scalar(select(AuditEntry))
        pending = await session.scalar(select(InboxUpdate))
    assert account is not None and account.secret_enc is not None
    assert KeyStore([new]).decrypt(account.secret_enc) == "the-secret-value"
    assert pending is not None and KeyStore([new]).unseal(pending.payload) == '{"update_id": 77}'
    assert audit is not None and audit.action == "keys_rotated"
    assert audit.details == {"accounts": 1, "inbox": 1}


async def test_keys_rotate_with_the_wrong_key_changes_nothing(db: Database) -> None:
    from core.security import SecretDecryptError

    old = Fernet.generate_key()
    await _account(db, KeyStore([old]), "the-secret-value")
    async with db.session() as session:
        before = await session.scalar(select(ExchangeAccount.secret_enc))
    with pytest.raises(SecretDecryptError) as info:
        await rotate_keys(db, KeyStore([Fernet.generate_key()]))
    assert "the-secret-value" not in str(info.value)
    async with db.session() as session:
        assert await session.scalar(select(ExchangeAccount.secret_enc)) == before
        assert await session.scalar(select(AuditEntry)) is None


def test_keys_rotate_cli_with_a_wrong_key_exits_with_one_line(tmp_path: Path) -> None:
    assert tsbot("migrate", cwd=tmp_path).returncode == 0
    import asyncio

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tsbot.db'}")
    stored_key = tmp_path / "data" / "encryption.key"
    key = Fernet.generate_key()
    asyncio.run(_account_and_close(db, KeyStore([key])))
    assert not stored_key.exists()
    result = tsbot("keys", "rotate", cwd=tmp_path, ENCRYPTION_KEY=Fernet.generate_key().decode())
    assert result.returncode == 2
    assert result.stderr.startswith("tsbot: ENCRYPTION_KEY: stored exchange secrets cannot")
    ok = tsbot(
        "keys",
        "rotate",
        cwd=tmp_path,
        ENCRYPTION_KEY=f"{Fernet.generate_key().decode()},{key.decode()}",
    )
    assert ok.returncode == 0, ok.stderr
    assert "1 exchange account" in ok.stdout


async def _account_and_close(db: Database, keystore: KeyStore) -> None:
    await _account(db, keystore, "the-secret-value")
    await db.aclose()


def test_console_channel_follow_and_notifications(tmp_path: Path) -> None:
    """A scripted console session waits for queued notifications before it exits."""
    assert tsbot("migrate", cwd=tmp_path).returncode == 0
    script = (
        "/post signalsdemo #ETH/USDT LONG Entry: 3300-3350 Targets: 3400, 3500 Stop: 3200\n"
        "/follow signalsdemo\n"
        "/market btc 60500\n"  # an entry far from the (replayed) market is held for the owner
        "/post signalsdemo #BTC/USDT LONG Entry 60000 Targets: 62000, 64000 Stop: 58000\n"
        "/post signalsdemo BTC TP1 hit!\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", "/dev/null", "console"],
        cwd=tmp_path,
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "You follow @signalsdemo" in out
    new_signal = out.index("New signal from @signalsdemo")
    update = out.index("Update on signal #2 BTC/USDT long")
    assert new_signal < update  # a chat's notifications arrive in order
    assert "not delivered yet" not in out
