"""The ``MailSender`` over SMTP (aiosmtplib): one plain-text mail to every ``SMTP_TO`` address.

STARTTLS (``SMTP_STARTTLS``, port 587) or implicit TLS (``SMTP_TLS``, port 465); log in only
when ``SMTP_USER`` is set. Errors propagate to ``AdminAlerts``, which logs their type only (an
SMTP server's reply can echo the login).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from core.config_alerts import SmtpSettings

__all__ = ["SmtpMailer"]


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        if settings.host is None or not settings.to:
            raise ValueError("SmtpMailer needs SMTP_HOST and SMTP_TO")
        self._settings = settings
        self._host = settings.host

    async def send(self, subject: str, body: str) -> None:
        smtp = self._settings
        message = EmailMessage()
        message["From"] = smtp.sender
        message["To"] = ", ".join(smtp.to)
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
        message.set_content(body)
        password = smtp.password.get_secret_value() if smtp.password is not None else None
        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=smtp.port,
            username=smtp.user,
            password=password if smtp.user else None,
            use_tls=smtp.tls,
            start_tls=smtp.starttls,
            timeout=smtp.timeout_s,
        )
