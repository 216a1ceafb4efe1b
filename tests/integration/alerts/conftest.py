"""A local SMTP server (aiosmtpd on 127.0.0.1, a free port) that keeps every mail it gets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

SMTP_USER = "alerts@example.com"
SMTP_PASSWORD = "smtp-pass-Qw3rTy-9876543210"  # noqa: S105 - the test server's own login


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)  # set by each mail

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        raw = envelope.original_content or b""
        mail = message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)  # policy.default parses to EmailMessage
        self.mails.append(mail)
        self.arrived.set()
        return "250 OK"

    def authenticate(
        self, _server: Any, _session: Session, _envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            self.logins.append(mechanism)
        return AuthResult(success=ok)


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """The mailbox of a running SMTP server that wants the test login (over plain TCP)."""
    box = Mailbox(free_port())
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
