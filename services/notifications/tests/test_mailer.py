"""The message bytes the mailer writes, read back with the email package."""

from __future__ import annotations

from email import message_from_bytes, policy

from notifications.mailer import compose

SUBJECT = "Hai ricevuto 1.234,56 € di crediti — Welfare aziendale 2026, più àèìòù di prima"


def parse(raw: bytes):  # type: ignore[no-untyped-def]
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


def test_a_line_break_in_a_subject_cannot_add_a_header() -> None:
    message = parse(compose("ada@example.it", "Ciao\r\nBcc: eve@example.com", "t", "h", []))
    assert message["Bcc"] is None
    assert message["Subject"] == "Ciao Bcc: eve@example.com"
