"""Email over SMTP (`SMTP_URL`: smtp://[user:password@]host[:port], or smtps://)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlparse

from nameko.extensions import DependencyProvider
from wecare_common.config import env

DEFAULT_SMTP_URL = "smtp://127.0.0.1:8025"
SENDER = "WeCare <no-reply@wecare.local>"


class Mailer:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = urlparse(url)
        self.timeout = timeout

    def send(self, to: str, subject: str, text: str, html: str) -> None:
        msg = EmailMessage()
        msg["From"] = SENDER
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        u = self.url
        if u.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(u.hostname, u.port or 465,
                                                     timeout=self.timeout)
        else:
            client = smtplib.SMTP(u.hostname, u.port or 25, timeout=self.timeout)
        with client:
            client.ehlo()
            if u.scheme != "smtps" and client.has_extn("starttls"):
                client.starttls()
                client.ehlo()
            if u.username:
                client.login(unquote(u.username), unquote(u.password or ""))
            client.send_message(msg)


class MailerProvider(DependencyProvider):
    def setup(self) -> None:
        self.mailer = Mailer(env("SMTP_URL", DEFAULT_SMTP_URL))  # type: ignore[arg-type]

    def get_dependency(self, worker_ctx: Any) -> Mailer:
        return self.mailer
