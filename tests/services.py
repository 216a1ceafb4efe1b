"""Throwaway PostgreSQL and redis-server instances on loopback, for tests and benchmarks.

Both are started from the installed binaries on a free 127.0.0.1 port inside a temporary
directory and removed on stop. PostgreSQL refuses to run as root, so as root the cluster is
owned by and run as the ``postgres`` system user (``runuser``).

A running server can be stopped and started again on the same port and data directory
(``PostgresServer.stop``/``start``, ``RedisServer.stop``/``start``): the outage tests take a
service away from a live bot process. Only a test's own instances are stopped that way, never
the session-wide ones other tests share.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_DIRS = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
    "/usr/local/bin",
    "/usr/bin",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_tool(name: str) -> str:
    for directory in PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")


def _wait_port(port: int, timeout: float, proc_check: object = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)  # polling a port for a server we just started
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class PostgresServer:
    port: int
    root: Path
    user: str = "tsbot"
    password: str = "tsbot-test-password"  # noqa: S105 - throwaway loopback cluster
    owner: str | None = None  # the system user the cluster runs as (``postgres`` under root)
    options: str = ""  # the server's command-line options (port, socket dir, settings)

    def url(self, database: str = "tsbot") -> str:
        return f"postgresql+asyncpg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the cluster the way an operator would (``pg_ctl stop -m fast``: sessions are
        ended, the port closes); ``start`` brings it back with its data."""
        subprocess.run(
            _as_pg_user(
                [_pg_tool("pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"],
                self.owner,
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        """Start the cluster (again) on the same port and data directory; returns once it
        accepts connections."""
        subprocess.run(
            _as_pg_user(
                [
                    _pg_tool("pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-o",
                    self.options,
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                self.owner,
            ),
            check=True,
            capture_output=True,
        )


def _as_pg_user(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@contextlib.contextmanager
def postgres_server(databases: tuple[str, ...] = ("tsbot",)) -> Iterator[PostgresServer]:
    owner = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="tsbot-pg-"))
    data = root / "data"
    port = free_port()
    server = PostgresServer(port=port, root=root)
    pwfile = root / "pw"
    pwfile.write_text(server.password)
    if owner:
        pw = pwd.getpwnam(owner)
        os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    run = subprocess.run
    run(
        _as_pg_user(
            [
                _pg_tool("initdb"),
                "-D",
                str(data),
                "-U",
                server.user,
                "--pwfile",
                str(pwfile),
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            owner,
        ),
        check=True,
        capture_output=True,
    )
    server.owner = owner
    server.options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    server.start()
    try:
        env = {**os.environ, "PGPASSWORD": server.password}
        for database in databases:
            run(
                [
                    _pg_tool("createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    server.user,
                    database,
                ],
                check=True,
                capture_output=True,
                env=env,
            )
        yield server
    finally:
        run(
            _as_pg_user([_pg_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], owner),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    argv: list[str] = field(default_factory=list)  # how it was started (``start`` again)
    proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        """Kill the server (SIGKILL: no goodbye to its clients, as a crash or an OOM kill);
        ``start`` brings it back, empty (nothing is saved), on the same port."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def start(self) -> None:
        """Start the server (again) with the same arguments; returns once it listens."""
        self.proc = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_port(self.port, 20)


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server not found: install it (apt-get install redis-server)")
    root = Path(tempfile.mkdtemp(prefix="tsbot-redis-"))
    port = free_port()
    server = RedisServer(
        port=port,
        argv=[
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ],
    )
    try:
        server.start()
        yield server
    finally:
        proc = server.proc
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)
