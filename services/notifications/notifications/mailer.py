"""Email over SMTP (`SMTP_URL`: smtp://[user:password@]host[:port], or smtps://).
STARTTLS and login when the server offers them. Connections are kept open and
reused between messages (a fresh one replaces any the server dropped)."""

from __future__ import annotations

import smtplib
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlparse

from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider
from wecare_common.config import env

DEFAULT_SMTP_URL = "smtp://127.0.0.1:8025"
SENDER = "WeCare <no-reply@wecare.local>"
Attachment = tuple[str, bytes, str, str]  # filename, content, maintype, subtype


class Mailer:
    def __init__(self, url: str, timeout: float = 10.0, pool_size: int = 10) -> None:
        self.url = urlparse(url)
        self.timeout = timeout
        self.idle: LightQueue = LightQueue(maxsize=pool_size)

    def _connect(self) -> smtplib.SMTP:
        u = self.url
        if u.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(u.hostname, u.port or 465,
                                                     timeout=self.timeout)
        else:
            client = smtplib.SMTP(u.hostname, u.port or 25, timeout=self.timeout)
        client.ehlo()
        if u.scheme != "smtps" and client.has_extn("starttls"):
            client.starttls()
            client.ehlo()
        if u.username:
            client.login(unquote(u.username), unquote(u.password or ""))
        return client

    def send(self, to: str, subject: str, text: str, html: str,
             attachments: list[Attachment] | None = None) -> None:
        msg = compose(to, subject, text, html, attachments or [])
        reused = not self.idle.empty()
        client = self.idle.get_nowait() if reused else self._connect()
        try:
            client.send_message(msg)
        except (smtplib.SMTPServerDisconnected, OSError):
            _close(client)
            if not reused:
                raise
            client = self._connect()  # the server dropped an idle connection: once more
            client.send_message(msg)
        except Exception:
            _close(client)
            raise
        if self.idle.full():
            _close(client)
        else:
            self.idle.put_nowait(client)


def compose(to: str, subject: str, text: str, html: str,
            attachments: list[Attachment]) -> MIMEMultipart:
    """The message, built with the classic MIME classes (several times cheaper
    than EmailMessage's modern header policy, which shows at thousands an hour)."""
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(text, "plain", "utf-8"))
    body.attach(MIMEText(html, "html", "utf-8"))
    if attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for filename, content, maintype, subtype in attachments:
            part = MIMEBase(maintype, subtype)
            part.set_payload(content)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=filename)
            msg.attach(part)
    else:
        msg = body
    msg["From"] = SENDER
    msg["To"] = to
    msg["Subject"] = str(Header(subject, "utf-8"))
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="wecare.local")
    return msg


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


class MailerProvider(DependencyProvider):
    def setup(self) -> None:
        self.mailer = Mailer(env("SMTP_URL", DEFAULT_SMTP_URL))  # type: ignore[arg-type]

    def get_dependency(self, worker_ctx: Any) -> Mailer:
        return self.mailer
