"""Email over SMTP (`SMTP_URL`: smtp://[user:password@]host[:port], or smtps://).
STARTTLS whenever the server offers it, with the server's certificate verified;
a login only over an encrypted connection. Connections are kept open and
reused between messages (a fresh one replaces any the server dropped), and a
batch of emails is pipelined over one (RFC 2920) when the server offers it."""

from __future__ import annotations

import base64
import re
import secrets
import smtplib
import ssl
from email.utils import formatdate, make_msgid
from functools import lru_cache
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
            client: smtplib.SMTP = smtplib.SMTP_SSL(u.hostname or "", u.port or 465,
                                                     timeout=self.timeout, context=self.tls)
        else:
            client = smtplib.SMTP(u.hostname or "", u.port or 25, timeout=self.timeout)
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
        """One email; raises what the server or the connection said when it did not go."""
        (outcome,) = self.send_many([(to, compose(to, subject, text, html, attachments or []))])
        if outcome is not None:
            raise outcome

    def send_many(self, emails: list[tuple[str, bytes]]) -> list[Exception | None]:
        """Composed emails (address, message bytes) over one connection, pipelined
        (RFC 2920) when the server offers it: the outcome of each, None when the
        server accepted it. An idle connection the server dropped is replaced once;
        a connection lost once a message went out fails the emails not yet
        accepted (whether the server kept the last one is unknown: it is retried)."""
        outcomes: list[Exception | None] = []
        reused = not self.idle.empty()
        try:
            client = self.idle.get_nowait() if reused else self._connect()
        except Exception as exc:  # noqa: BLE001 - no server: every email failed
            return [exc] * len(emails)
        while len(outcomes) < len(emails):
            before = len(outcomes)
            try:
                if client.has_extn("pipelining"):
                    _pipelined(client, emails[before:], outcomes)
                else:
                    _one_by_one(client, emails[before:], outcomes)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                _close(client)
                if not reused or getattr(exc, "after_content", len(outcomes) > before):
                    outcomes += [exc] * (len(emails) - len(outcomes))
                    return outcomes
                reused = False  # the server dropped an idle connection: once more
                try:
                    client = self._connect()
                except Exception as again:  # noqa: BLE001 - recorded for each
                    outcomes += [again] * (len(emails) - len(outcomes))
                    return outcomes
            except Exception:
                _close(client)
                raise
        if self.idle.full():
            _close(client)
        else:
            self.idle.put_nowait(client)
        return outcomes


_DOT_LINE = re.compile(rb"(?m)^\.")


_PLAIN_ADDRESS = re.compile(r"[^\s<>()\[\],;:\\\"]+@[^\s<>()\[\],;:\\\"@]+")


def _envelope(to: str) -> bytes:
    # a plain address as is (smtplib's quoteaddr parses each one with the email
    # package: the costliest step of a pipelined email); anything else parsed
    address = f"<{to}>" if _PLAIN_ADDRESS.fullmatch(to) else smtplib.quoteaddr(to)
    return f"MAIL FROM:<{SENDER_ADDRESS}>\r\nRCPT TO:{address}\r\nDATA\r\n".encode("ascii")


def _pipelined(client: smtplib.SMTP, emails: list[tuple[str, bytes]],
               outcomes: list[Exception | None]) -> None:
    """MAIL, RCPT and DATA in one write; then the message, its end and the next
    email's MAIL, RCPT and DATA in one write: a round trip per email. (The end
    of the data may be followed by more commands in the same group, RFC 2920 §3.1.)
    Appends each email's outcome as its reply arrives; a lost connection is
    raised marked with whether a message had gone out on it (`after_content`)."""
    sent: list[bool] = []
    try:
        _pipeline(client, emails, outcomes, sent)
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        exc.after_content = bool(sent)  # type: ignore[attr-defined]
        raise


def _pipeline(client: smtplib.SMTP, emails: list[tuple[str, bytes]],
              outcomes: list[Exception | None], sent: list[bool]) -> None:
    pending = b""  # commands written with the last message, their replies not yet read
    for n, (to, message) in enumerate(emails):
        try:
            envelope = _envelope(to)
        except UnicodeEncodeError as exc:  # an address SMTP cannot carry without SMTPUTF8
            outcomes.append(smtplib.SMTPRecipientsRefused({to: (553, str(exc).encode())}))
            continue
        if not pending:
            client.send(envelope)
        pending = b""
        mail, rcpt, data = client.getreply(), client.getreply(), client.getreply()
        if 421 in (mail[0], rcpt[0], data[0]):
            raise smtplib.SMTPServerDisconnected(data[1].decode(errors="replace"))
        following = b""
        if n + 1 < len(emails):
            try:
                following = _envelope(emails[n + 1][0])
            except UnicodeEncodeError:
                following = b""
        if mail[0] == 250 and rcpt[0] in (250, 251) and data[0] == 354:
            sent.append(True)
            client.send(_DOT_LINE.sub(b"..", message) + b".\r\n" + following)
            code, reply = client.getreply()
            if code == 421:
                raise smtplib.SMTPServerDisconnected(reply.decode(errors="replace"))
            outcomes.append(None if code == 250 else smtplib.SMTPDataError(code, reply))
        else:
            if data[0] == 354:  # accepted DATA without a recipient: end it empty
                client.send(b".\r\n")
                client.getreply()
            client.send(b"RSET\r\n" + following)
            client.getreply()
            outcomes.append(
                smtplib.SMTPSenderRefused(mail[0], mail[1], SENDER_ADDRESS) if mail[0] != 250
                else smtplib.SMTPRecipientsRefused({to: rcpt}) if rcpt[0] not in (250, 251)
                else smtplib.SMTPDataError(*data))
        pending = following


def _one_by_one(client: smtplib.SMTP, emails: list[tuple[str, bytes]],
                outcomes: list[Exception | None]) -> None:
    """A server without PIPELINING: a command and its reply at a time."""
    for to, message in emails:
        try:
            client.sendmail(SENDER_ADDRESS, [to], message)
        except smtplib.SMTPServerDisconnected:
            raise
        except (smtplib.SMTPException, UnicodeEncodeError) as exc:
            outcomes.append(exc)
        else:
            outcomes.append(None)


def compose(to: str, subject: str, text: str, html: str,
            attachments: list[Attachment], message_id: str | None = None,
            inline: list[Attachment] | None = None) -> bytes:
    """The message as RFC 5322 bytes with CRLF line ends: multipart/alternative
    (plain text and HTML, UTF-8, base64), wrapped in multipart/mixed when there
    are attachments. Written directly rather than through the email package's
    generator, which cost more than everything else in sending at thousands of
    messages a minute; tests parse what the SMTP server received. `message_id`: the
    message's identity when it has one of its own (a notification's, so that a resend
    is recognisably the same message); else a new one."""
    boundary = secrets.token_hex(12)
    alternative = _multipart("alternative", boundary, [
        _part('text/plain; charset="utf-8"', text.encode()),
        _part('text/html; charset="utf-8"', html.encode())])
    if inline:  # images the HTML shows by cid: (content id, content, maintype, subtype)
        alternative = _multipart('related; type="multipart/alternative"', "r" + boundary,
                                 [alternative] + [
            _part(f"{maintype}/{subtype}", content,
                  f"Content-ID: <{cid}>\r\nContent-Disposition: inline; "
                  f'filename="{cid.split("@")[0]}.{subtype}"\r\n')
            for cid, content, maintype, subtype in inline])
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
               f"Message-ID: {message_id or make_msgid(domain='wecare.local')}\r\n"
               "MIME-Version: 1.0\r\n")
    return headers.encode() + body


def _part(content_type: str, content: bytes, extra: str = "") -> bytes:
    return (f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n{extra}\r\n"
            .encode() + base64.encodebytes(content).replace(b"\n", b"\r\n"))


def _multipart(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    sep = f"--{boundary}\r\n".encode()
    return head + b"".join(sep + p for p in parts) + f"--{boundary}--\r\n".encode()


@lru_cache(maxsize=1024)  # an event's subject recurs for each of its thousands of recipients
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
        self.mailer = Mailer(env("SMTP_URL", DEFAULT_SMTP_URL),
                             ca_file=env("SMTP_CA_FILE"))

    def get_dependency(self, worker_ctx: Any) -> Mailer:
        return self.mailer
