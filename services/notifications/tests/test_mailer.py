"""The message bytes the mailer writes, read back with the email package; and
the mailer against real SMTP servers that demand STARTTLS and a login."""

from __future__ import annotations

import mailbox
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from notifications.mailer import Mailer, compose

SUBJECT = "Hai ricevuto 1.234,56 € di crediti — Welfare aziendale 2026, più àèìòù di prima"


def parse(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def test_plain_and_html_parts_in_utf8_with_a_long_non_ascii_subject() -> None:
    raw = compose("ada@example.it", SUBJECT, "Ciao Ada,\n.\n1.234,56 €", "<p>1.234,56 €</p>", [])
    message = parse(raw)
    assert message["Subject"] == SUBJECT
    assert message["To"] == "ada@example.it"
    assert message["From"] == "WeCare <no-reply@wecare.local>"
    assert message["Message-ID"].endswith("@wecare.local>") and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content() == "Ciao Ada,\n.\n1.234,56 €"
    assert message.get_body(("html",)).get_content() == "<p>1.234,56 €</p>"
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78
    assert all(b"\n" not in line for line in lines)  # CRLF throughout, as SMTP wants


def test_attachments_wrap_the_body_in_multipart_mixed() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    message = parse(compose("ada@example.it", "Voucher", "t", "<p>h</p>",
                            [("voucher-qr.png", png, "image", "png")]))
    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "voucher-qr.png"
    assert attachment.get_content_type() == "image/png"
    assert attachment.get_content() == png
    assert message.get_body(("plain",)).get_content() == "t"


def test_an_inline_image_goes_in_multipart_related_beside_the_html_that_shows_it() -> None:
    """The voucher email's QR (issue 26.4): shown in the message by its Content-ID."""
    from notifications.domain import QR_CID, inline_for

    (image,) = inline_for({"signed_qr": "WC1.eyJ2IjoiQSJ9.c2ln"})
    html = f'<p><img src="cid:{QR_CID}"></p>'
    message = parse(compose("ada@example.it", "Voucher", "t", html, [], inline=[image]))
    assert message.get_content_type() == "multipart/related"
    assert message.get_body(("html",)).get_content() == html
    assert message.get_body(("plain",)).get_content() == "t"
    (png,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == f"<{QR_CID}>"
    assert png.get_content_disposition() == "inline"
    assert png.get_content()[:4] == b"\x89PNG" and len(png.get_content()) < 4_000
    assert inline_for({}) == inline_for(None) == []


def test_a_line_break_in_a_subject_cannot_add_a_header() -> None:
    message = parse(compose("ada@example.it", "Ciao\r\nBcc: eve@example.com", "t", "h", []))
    assert message["Bcc"] is None
    assert message["Subject"] == "Ciao Bcc: eve@example.com"


@pytest.fixture
def tls_server(tmp_path):
    """A real SMTP server requiring STARTTLS and a login, with a self-signed certificate."""
    from support import free_port

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    port = free_port()
    folder = tmp_path / "maildir"
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).parents[3] / "tests/support/smtp_tls_server.py"),
         str(port), str(folder), str(cert), str(key), "ada", "s3cret"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the TLS SMTP server did not start"
            time.sleep(0.1)
    yield port, cert, folder
    server.terminate()
    server.wait(timeout=10)


def test_starttls_with_a_verified_certificate_then_login(tls_server) -> None:
    port, cert, folder = tls_server
    mailer = Mailer(f"smtp://ada:s3cret@127.0.0.1:{port}", ca_file=str(cert))
    mailer.send("bruno@example.it", "Benvenuto", "testo", "<p>html</p>")
    (message,) = [parse(m.as_bytes()) for m in mailbox.Maildir(folder, create=False)]
    assert message["To"] == "bruno@example.it" and message["Subject"] == "Benvenuto"


def test_a_wrong_password_is_refused(tls_server) -> None:
    port, cert, _ = tls_server
    with pytest.raises(smtplib.SMTPAuthenticationError):
        Mailer(f"smtp://ada:wrong@127.0.0.1:{port}", ca_file=str(cert)).send(
            "bruno@example.it", "x", "t", "h")


def test_an_unverifiable_certificate_stops_the_connection(tls_server) -> None:
    port, _, folder = tls_server
    with pytest.raises(ssl.SSLCertVerificationError):
        Mailer(f"smtp://ada:s3cret@127.0.0.1:{port}").send("bruno@example.it", "x", "t", "h")
    assert not list(mailbox.Maildir(folder, create=False))


def test_no_password_goes_over_a_connection_without_tls(smtp_sink) -> None:
    url = smtp_sink.url.replace("smtp://", "smtp://ada:s3cret@")
    with pytest.raises(smtplib.SMTPNotSupportedError, match="STARTTLS"):
        Mailer(url).send("bruno@example.it", "x", "t", "h")


def _composed(to: str) -> tuple[str, bytes]:
    return to, compose(to, "Benvenuto", ".una riga che inizia con un punto\n", "<p>h</p>", [])


def test_a_batch_goes_pipelined_over_one_connection_a_refusal_failing_only_its_email(
        smtp_sink) -> None:
    mailer = Mailer(smtp_sink.url)
    batch = [_composed(f"p{n}@pipelined.test") for n in range(4)]
    batch.insert(2, ("refused@", batch[0][1]))  # the server answers 553: malformed
    outcomes = mailer.send_many(batch)
    assert [o is None for o in outcomes] == [True, True, False, True, True]
    assert isinstance(outcomes[2], smtplib.SMTPRecipientsRefused)
    (client,) = list(mailer.idle.queue)  # one connection, kept for the next batch
    assert client.has_extn("pipelining")
    arrived = smtp_sink.wait_for(lambda m: m["To"].endswith("@pipelined.test"))
    deadline = time.monotonic() + 10
    while len(arrived) < 4 and time.monotonic() < deadline:
        arrived = smtp_sink.wait_for(lambda m: m["To"].endswith("@pipelined.test"))
    assert sorted(m["To"] for m in arrived) == [f"p{n}@pipelined.test" for n in range(4)]
    # dot-stuffed on the way, whole on arrival
    assert all(m.get_body(("plain",)).get_content().startswith(".una riga") for m in arrived)


def test_an_idle_connection_the_server_dropped_is_replaced(smtp_sink) -> None:
    mailer = Mailer(smtp_sink.url)
    assert mailer.send_many([_composed("first@dropped.test")]) == [None]
    (client,) = list(mailer.idle.queue)
    client.sock.shutdown(socket.SHUT_RDWR)  # as a server closing an idle connection
    assert mailer.send_many([_composed("second@dropped.test")]) == [None]
    assert smtp_sink.wait_for(lambda m: m["To"] == "second@dropped.test")


def test_a_notifications_email_keeps_its_message_id_when_sent_again() -> None:
    """Sending is at least once; a resend is the same message, by its Message-ID."""
    from notifications.domain import message_id

    first = parse(compose("ada@example.it", "Voucher", "t", "<p>h</p>", [],
                          message_id=message_id(42)))
    again = parse(compose("ada@example.it", "Voucher", "t", "<p>h</p>", [],
                          message_id=message_id(42)))
    other = parse(compose("ada@example.it", "Voucher", "t", "<p>h</p>", []))
    assert first["Message-ID"] == again["Message-ID"] == "<notification-42@wecare.local>"
    assert other["Message-ID"] != first["Message-ID"]
