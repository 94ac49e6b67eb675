"""Email over SMTP (`SMTP_URL`: smtp://[user:password@]host[:port], or smtps://).
STARTTLS whenever the server offers it, with the server's certificate verified;
a login only over an encrypted connection. Connections are kept open and
reused between messages (a fresh one replaces any the server dropped)."""

from __future__ import annotations

import base64
import re
import secrets
import smtplib
import ssl
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlparse

from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider
from wecare_common.config import env

DEFAULT_SMTP_URL = "smtp://127.0.0.1:8025"
SENDER_ADDRESS = "no-reply@wecare.local"
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")
SENDER = f"WeCare <{SENDER_ADDRESS}>"
Attachment = tuple[str, bytes, str, str]  # filename, content, maintype, subtype


class Mailer:
    def __init__(self, url: str, timeout: float = 10.0, pool_size: int = 10,
                 ca_file: str | None = None) -> None:
        self.url = urlparse(url)
        self.timeout = timeout
        self.idle: LightQueue = LightQueue(maxsize=pool_size)
        # the server's certificate is verified (SMTP_CA_FILE adds a private CA)
        self.tls = ssl.create_default_context(cafile=ca_file)

    def _connect(self) -> smtplib.SMTP:
        u = self.url
        if u.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(u.hostname, u.port or 465,
                                                     timeout=self.timeout, context=self.tls)
        else:
            client = smtplib.SMTP(u.hostname, u.port or 25, timeout=self.timeout)
        try:
            client.ehlo()
            encrypted = u.scheme == "smtps"
            if not encrypted and client.has_extn("starttls"):
                client.starttls(context=self.tls)
                client.ehlo()
                encrypted = True
            if u.username:
                if not encrypted:
                    raise smtplib.SMTPNotSupportedError(
                        "the SMTP server offers no STARTTLS: the password stays unsent")
                client.login(unquote(u.username), unquote(u.password or ""))
        except BaseException:
            client.close()
            raise
        return client

    def send(self, to: str, subject: str, text: str, html: str,
             attachments: list[Attachment] | None = None) -> None:
        msg = compose(to, subject, text, html, attachments or [])
        reused = not self.idle.empty()
        client = self.idle.get_nowait() if reused else self._connect()
        try:
            client.sendmail(SENDER_ADDRESS, [to], msg)
        except (smtplib.SMTPServerDisconnected, OSError):
            _close(client)
            if not reused:
                raise
            client = self._connect()  # the server dropped an idle connection: once more
            client.sendmail(SENDER_ADDRESS, [to], msg)
        except Exception:
            _close(client)
            raise
        if self.idle.full():
            _close(client)
        else:
            self.idle.put_nowait(client)


def compose(to: str, subject: str, text: str, html: str,
            attachments: list[Attachment]) -> bytes:
    """The message as RFC 5322 bytes with CRLF line ends: multipart/alternative
    (plain text and HTML, UTF-8, base64), wrapped in multipart/mixed when there
    are attachments. Written directly rather than through the email package's
    generator, which cost more than everything else in sending at thousands of
    messages a minute; tests parse what the SMTP server received."""
    boundary = secrets.token_hex(12)
    alternative = _multipart("alternative", boundary, [
        _part('text/plain; charset="utf-8"', text.encode()),
        _part('text/html; charset="utf-8"', html.encode())])
    if attachments:
        mixed = "m" + boundary
        body = _multipart("mixed", mixed, [alternative] + [
            _part(f"{maintype}/{subtype}", content,
                  f'Content-Disposition: attachment; filename="{filename}"\r\n')
            for filename, content, maintype, subtype in attachments])
    else:
        body = alternative
    headers = (f"From: {SENDER}\r\nTo: {_header(to)}\r\nSubject: {_header(subject)}\r\n"
               f"Date: {formatdate(localtime=False)}\r\n"
               f"Message-ID: {make_msgid(domain='wecare.local')}\r\nMIME-Version: 1.0\r\n")
    return headers.encode() + body


def _part(content_type: str, content: bytes, extra: str = "") -> bytes:
    return (f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n{extra}\r\n"
            .encode() + base64.encodebytes(content).replace(b"\n", b"\r\n"))


def _multipart(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    sep = f"--{boundary}\r\n".encode()
    return head + b"".join(sep + p for p in parts) + f"--{boundary}--\r\n".encode()


def _header(value: str) -> str:
    """A header value on one line (no CR/LF can smuggle in a header); non-ASCII
    as RFC 2047 encoded words, folded under 78 characters."""
    value = _LINE_BREAKS.sub(" ", value)
    if value.isascii():
        return value
    words, chunk = [], ""
    for char in value:
        if len((chunk + char).encode()) > 39:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


class MailerProvider(DependencyProvider):
    def setup(self) -> None:
        self.mailer = Mailer(env("SMTP_URL", DEFAULT_SMTP_URL),  # type: ignore[arg-type]
                             ca_file=env("SMTP_CA_FILE"))

    def get_dependency(self, worker_ctx: Any) -> Mailer:
        return self.mailer
