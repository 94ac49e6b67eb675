"""Who hears what (docs/events.md#catalogue: events → people), as plain functions."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import segno
from eventlet.greenpool import GreenPool
from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session
from wecare_common import links, metrics
from wecare_common.config import env
from wecare_common.contract import refusals
from wecare_common.db import insert_ignore_returning, insert_on_conflict

from notifications import routes
from notifications.mailer import compose
from notifications.models import Notification, Recipient
from notifications.routes import Contact, Message
from notifications.templates import render

MAX_EMAIL_ATTEMPTS = 5
# the hot path (one event → one email) uses the tables directly: Core statements
# compile once and skip the ORM's identity map (10,000 emails in a run)
_recipients = Recipient.__table__
_notifications = Notification.__table__
# Built once: building a statement costs SQLAlchemy more than running it
# (~0.65 ms against ~0.2 ms a call, measured)
_FIND_RECIPIENTS = (
    select(_recipients.c.key, _recipients.c.email, _recipients.c.name,
           _recipients.c.language, _recipients.c.non_essential_email)
    .where(_recipients.c.key.in_(bindparam("keys", expanding=True))))


class RecipientUnknown(Exception):
    """The event names someone whose contact details have not arrived yet."""


def app_url() -> str:
    return env("WECARE_PUBLIC_URL", "http://localhost:8000")


@dataclass(frozen=True)
class Told:
    """What one event asks: the contact it carries (if any), and its messages."""

    event_id: str
    messages: list[Message]
    contact: Contact | None = None
    company_id: str | None = None


def told(event: dict[str, Any]) -> Told:
    """What an event asks, its payload checked (a ValidationError parks it)."""
    payload = routes.load(event)
    return Told(event["id"], routes.messages(event["type"], payload, event["company_id"]),
                routes.contact(event["type"], payload), event["company_id"])


# Recipients recorded per round: one read, one write and a commit; emails sent per
# round, then one write and a commit marking them sent. Up to SENDERS rounds are on
# their way at once: a crash between an email's acceptance by the SMTP server and
# its round's commit re-sends at most that many rounds' emails.
BATCH = 100
SENDERS = 3

Send = Callable[[list[tuple[str, bytes]]], list[Exception | None]]
# a recorded email: (row seq, the event's index in its batch, to, subject, text, html, extras)
Email = tuple[int, int, str, str, str, str, "dict[str, Any] | None"]


def tell(session: Session, events: list[Told], send_many: Send) -> list[Exception | None]:
    """Tell each recipient of each event, once: the feed entry always; the email
    unless there is no address, or the person turned off non-essential email and
    this is one. Several events are told together (the service hands over those
    that arrived together), each message as one row.

    The intent is recorded first (each round's rows, their emails pending) and
    committed; then the emails go out, no transaction open, a round at a time over
    up to SENDERS SMTP connections at once, each round marked sent (or its failed
    attempts counted) by one statement as the server answers it. A row
    already there means an earlier delivery of the event recorded it: nobody is
    told twice, and an email it left pending is sent now.

    Returns each event's outcome: None when told, else the error to retry it on
    (its recipient unknown yet, or an email that could not go)."""
    _remember_contacts(session, [(e.contact, e.company_id) for e in events if e.contact])
    # an event delivered twice at once is told once; both deliveries get its outcome
    first = {e.event_id: n for n, e in reversed(list(enumerate(events)))}
    outcomes: list[Exception | None] = [None] * len(events)
    # one message per recipient and event (the row's unique key says the same)
    wanted = [(n, m) for n, e in enumerate(events) if first[e.event_id] == n
              for m in {m.recipient: m for m in e.messages}.values()]
    emails: list[Email] = []
    for start in range(0, len(wanted), BATCH):
        emails += _record_round(session, events, wanted[start:start + BATCH], outcomes)
    if not wanted:
        session.commit()  # contacts remembered, nobody to tell
    for (_, n, *_), error in zip(emails, send_and_record(session, emails, send_many),
                                 strict=True):
        if error is not None:
            outcomes[n] = error
    return [outcomes[first[e.event_id]] for e in events]


def _remember_contacts(session: Session, contacts: list[tuple[Contact, str | None]]) -> None:
    """Keep (or refresh) the contact details events carry: one statement, or two when
    some carry a language only for a contact still new (Contact.sets_language)."""
    for sets_language in (True, False):
        rows = {c.key: {"key": c.key, "email": c.email, "name": c.name,
                        "language": c.language, "company_id": company_id}
                for c, company_id in contacts if c.sets_language is sets_language}
        if not rows:
            continue
        refreshed = ("email", "name", "language", "company_id") if sets_language else (
            "email", "name", "company_id")
        statement = insert_on_conflict(session, _recipients).values(list(rows.values()))
        session.execute(statement.on_conflict_do_update(
            index_elements=[_recipients.c.key],
            set_={c: statement.excluded[c] for c in refreshed}))


def _record_round(session: Session, events: list[Told], wanted: list[tuple[int, Message]],
                  outcomes: list[Exception | None]) -> list[Email]:
    """One round's messages recorded and committed; its emails to send."""
    found = {row.key: row for row in session.execute(
        _FIND_RECIPIENTS, {"keys": list({m.recipient for _, m in wanted})})}
    for n, m in wanted:
        if m.recipient not in found and outcomes[n] is None:
            outcomes[n] = RecipientUnknown(m.recipient)
    now = datetime.now(UTC)
    link = app_url()
    rows: list[dict[str, Any]] = []
    for n, m in wanted:
        if isinstance(outcomes[n], RecipientUnknown):  # nothing written for it
            continue
        who = found[m.recipient]
        subject, text, html = render(m.kind, who.language,
                                     {"name": who.name, "link": link, **m.context})
        emailed = bool(who.email) and (m.essential or who.non_essential_email)
        rows.append({"event_id": events[n].event_id, "recipient": m.recipient, "kind": m.kind,
                     "subject": subject, "body_text": text, "body_html": html,
                     "email_to": who.email, "email_status": "pending" if emailed else "skipped",
                     "email_attempts": 0, "email_error": None,
                     "extras": m.extras or None, "created_at": now})
    # one order for every writer: two replicas told the same events wait, not deadlock
    rows.sort(key=lambda r: (r["event_id"], r["recipient"]))
    inserted = {(r.event_id, r.recipient): r.seq for r in insert_ignore_returning(
        session, _notifications, rows, ("seq", "event_id", "recipient"))}
    event_of = {events[n].event_id: n for n, _ in wanted}
    emails: list[Email] = [
        (seq, event_of[r["event_id"]], r["email_to"], r["subject"], r["body_text"],
         r["body_html"], r["extras"])
        for r in rows if r["email_status"] == "pending"
        and (seq := inserted.get((r["event_id"], r["recipient"]))) is not None]
    earlier = {(r["event_id"], r["recipient"]) for r in rows} - inserted.keys()
    if earlier:  # an earlier delivery recorded these: send what it left pending
        n_ = _notifications.c
        emails += [(row.seq, event_of[row.event_id], row.email_to, row.subject, row.body_text,
                    row.body_html, row.extras) for row in session.execute(select(
                        n_.seq, n_.event_id, n_.recipient, n_.email_to, n_.subject,
                        n_.body_text, n_.body_html, n_.extras).where(
                        n_.event_id.in_({e for e, _ in earlier}),
                        n_.email_status == "pending"))
                   if (row.event_id, row.recipient) in earlier]
    session.commit()  # the intent recorded: no transaction is open while SMTP talks
    return emails


_MARK_SENT = (update(_notifications)
              .where(_notifications.c.seq.in_(bindparam("seqs", expanding=True)))
              .values(email_status="sent", email_error=None))
_attempts = _notifications.c.email_attempts + 1
_MARK_FAILED = (update(_notifications)
                .where(_notifications.c.seq == bindparam("failed_seq"))
                .values(email_attempts=_attempts, email_error=bindparam("error"),
                        email_status=case((_attempts >= MAX_EMAIL_ATTEMPTS, "failed"),
                                          else_="pending")))


def message_id(seq: int) -> str:
    """A notification's email has an identity of its own: sending is at least once (a
    crash after the SMTP server accepted it and before it was marked sent sends it
    again on redelivery), and the resend carries the same Message-ID, so the person's
    mailbox (and our tests) know it for the same message (RFC 5322 §3.6.4)."""
    return f"<notification-{seq}@wecare.local>"


def send_and_record(session: Session, emails: list[Email], send_many: Send
                    ) -> list[Exception | None]:
    """Send recorded emails (no transaction open) BATCH at a time, over up to SENDERS
    SMTP connections at once (a grant's thousands of emails: the server takes one
    round while the next is composed and sent), marking each round sent in one
    statement, or counting its failed attempts (failed for good after
    MAX_EMAIL_ATTEMPTS), and committing, in order as the rounds are answered; each
    email's error or None."""
    rounds = [emails[start:start + BATCH] for start in range(0, len(emails), BATCH)]
    if len(rounds) == 1:
        return _mark(session, emails, _send(send_many, emails))
    answered = GreenPool(SENDERS).imap(partial(_send, send_many), rounds)
    return [error for chunk, errors in zip(rounds, answered, strict=True)
            for error in _mark(session, chunk, errors)]


def _send(send_many: Send, emails: list[Email]) -> list[Exception | None]:
    return send_many([(to, compose(to, subject, *leaving(text, html, extras),
                                   attachments_for(extras), message_id=message_id(seq),
                                   inline=inline_for(extras)))
                      for seq, _, to, subject, text, html, extras in emails])


def leaving(text: str, html: str, extras: dict[str, Any] | None) -> tuple[str, str]:
    """An email's text and HTML as they leave: a one-time link is kept with its id and
    made live (its token) only here, in the message sent (wecare_common.links)."""
    link_id = (extras or {}).get("link_id")
    if not link_id:
        return text, html
    return links.live(text, link_id), links.live(html, link_id)


def _mark(session: Session, emails: list[Email], errors: list[Exception | None]
          ) -> list[Exception | None]:
    sent = [email[0] for email, error in zip(emails, errors, strict=True) if error is None]
    if sent:
        session.execute(_MARK_SENT, {"seqs": sent})
    failed = [{"failed_seq": email[0], "error": f"{type(error).__name__}: {error}"[:500]}
              for email, error in zip(emails, errors, strict=True) if error is not None]
    if failed:
        session.execute(_MARK_FAILED, failed)
    session.commit()
    metrics.child(metrics.EMAILS, "sent").inc(len(sent))
    metrics.child(metrics.EMAILS, "failed").inc(len(failed))
    return errors


# the voucher email's QR (issue 26.4): a small PNG shown in the message (multipart/related,
# referred to by its Content-ID, which most mail apps show where data: URIs are blocked)
QR_CID = "voucher-qr@wecare"
QR_MASK = 0
QR_SCALE = 4  # px per module: a signed QR (73 modules + quiet zone) is 324 px


def qr_png(text: str) -> bytes:
    """The voucher's signed QR text as a small black-and-white PNG."""
    # One data mask, not the best of eight: choosing it was two thirds of the email's QR
    # (12.9 -> 4.8 ms of CPU for a signed voucher's text); the signed text is base64, as
    # even as a mask makes it, and the scanners of tests/browser/test_signed_qr.py read it
    qr = segno.make(text, error="m", micro=False, mask=QR_MASK)
    return png_of(qr.matrix, QR_SCALE, qr.default_border_size)


def png_of(matrix: Any, scale: int, border: int) -> bytes:
    """A QR's modules (rows of 1 dark, 0 light) as a 1-bit greyscale PNG, `scale` px a
    module, `border` light modules around: the image segno's own writer makes, pixel for
    pixel, written a row at a time rather than a pixel (4.3 -> 2.5 ms for a signed QR:
    segno's writer was 40 % of the voucher email's CPU)."""
    size = (len(matrix) + 2 * border) * scale
    row_bytes = (size + 7) // 8
    margin = "1" * (border * scale)
    pad = "1" * (row_bytes * 8 - size)
    # each row: its filter type, then its bits (1: light); a row as the one above it is
    # filter type 2 (up) and all zeros, as segno writes it, which compresses best
    up = b"\2" + b"\0" * row_bytes
    light = (b"\0" + b"\xff" * row_bytes + up * (border * scale - 1)) if border else b""
    raw = bytearray(light)
    for modules in matrix:
        bits = margin + "".join("0" * scale if dark else "1" * scale for dark in modules)
        raw += b"\0" + int(bits + margin + pad, 2).to_bytes(row_bytes, "big") + up * (scale - 1)
    raw += light

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    header = size.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])  # 1 bit, greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def inline_for(extras: dict[str, Any] | None) -> list[tuple[str, bytes, str, str]]:
    """The images an email shows in its HTML: the voucher's signed QR (`signed_qr`)."""
    signed = (extras or {}).get("signed_qr")
    return [(QR_CID, qr_png(signed), "image", "png")] if signed else []


def attachments_for(extras: dict[str, Any] | None) -> list[tuple[str, bytes, str, str]]:
    """A QR code to attach (rows recorded before vouchers' emails linked to the
    voucher's page instead still carry one)."""
    code = (extras or {}).get("qr")
    if not code:
        return []
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=6)
    return [("voucher-qr.png", out.getvalue(), "image", "png")]


def deliver_pending(session: Session, event_id: str, send_many: Send) -> int:
    """Send one event's unsent emails (an operator's retry); how many went.
    Raises the last SMTP error if any failed."""
    n = _notifications.c
    emails = [(row.seq, 0, row.email_to, row.subject, row.body_text, row.body_html,
               row.extras) for row in session.execute(select(
                   n.seq, n.email_to, n.subject, n.body_text, n.body_html, n.extras,
               ).where(n.event_id == event_id, n.email_status == "pending"))]
    session.commit()  # nothing is held while SMTP talks
    errors = send_and_record(session, emails, send_many)
    failures = [e for e in errors if e is not None]
    if failures:
        raise failures[-1]
    return len(errors)


def retry_failed(session: Session, send_many: Send) -> int:
    """An operator's retry of emails that failed after every attempt."""
    events = session.scalars(select(Notification.event_id).where(
        Notification.email_status == "failed").distinct()).all()
    session.execute(update(Notification).where(Notification.email_status == "failed")
                    .values(email_status="pending", email_attempts=0))
    session.commit()
    return sum(deliver_pending(session, e, send_many) for e in events)


def preferences(session: Session, recipient_key: str) -> dict[str, Any]:
    recipient = session.get(Recipient, recipient_key)
    if recipient is None:
        raise refusals.PREFERENCES_NOT_YET(field="recipient")
    return {"language": recipient.language,
            "non_essential_email": recipient.non_essential_email}


def set_preferences(session: Session, recipient_key: str, changes: dict[str, Any]
                    ) -> dict[str, Any]:
    recipient = session.get(Recipient, recipient_key)
    if recipient is None:
        raise refusals.PREFERENCES_NOT_YET(field="recipient")
    for name, value in changes.items():
        setattr(recipient, name, value)
    return preferences(session, recipient_key)


def failed(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Emails that failed after every attempt: for an operator to look at and retry."""
    rows = session.scalars(select(Notification).where(Notification.email_status == "failed")
                           .order_by(Notification.seq).limit(limit))
    return [{"id": str(n.seq), "event_id": n.event_id, "recipient": n.recipient,
             "email_to": n.email_to, "kind": n.kind, "attempts": n.email_attempts,
             "error": n.email_error} for n in rows]


def feed(session: Session, recipients: list[str], limit: int, cursor: str | None
         ) -> dict[str, Any]:
    query = select(Notification).where(Notification.recipient.in_(recipients)).order_by(
        Notification.seq.desc()).limit(limit + 1)
    if cursor:
        query = query.where(Notification.seq < int(cursor))
    rows = session.scalars(query).all()
    return {"items": [{
        "id": str(n.seq), "kind": n.kind, "subject": n.subject, "body": n.body_text,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    } for n in rows[:limit]],
        "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}


def mark_read(session: Session, recipients: list[str], notification_id: str) -> None:
    # an id is what `feed` gives: ASCII digits that fit a bigint ("¹".isdigit() is True
    # and int() refuses it; twenty digits overflow the column)
    n = (session.get(Notification, int(notification_id))
         if re.fullmatch(r"[0-9]{1,18}", notification_id) else None)
    if n is None or n.recipient not in recipients:
        raise refusals.NOTIFICATION_UNKNOWN(field="notification_id")
    n.read_at = n.read_at or datetime.now(UTC)
