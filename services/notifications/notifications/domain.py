"""Who hears what (DESIGN §1 events → people), as plain functions."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from wecare_common.config import env
from wecare_common.db import insert_ignore
from wecare_common.errors import NotFound

from notifications.models import Notification, Recipient
from notifications.templates import render

MAX_EMAIL_ATTEMPTS = 5


class RecipientUnknown(Exception):
    """The event names someone whose contact details have not arrived yet."""


def app_url() -> str:
    return env("WECARE_PUBLIC_URL", "http://localhost:8000")  # type: ignore[return-value]


def remember(session: Session, key: str, *, email: str | None, name: str, language: str,
             company_id: str | None) -> None:
    """Keep (or refresh) a recipient's contact details."""
    recipient = session.get(Recipient, key)
    if recipient is None:
        recipient = Recipient(key=key)
        session.add(recipient)
    recipient.email, recipient.name = email, name
    recipient.language, recipient.company_id = language, company_id


def queue_message(session: Session, event_id: str, recipient_key: str, kind: str,
                  context: dict[str, Any], *, essential: bool = True,
                  extras: dict[str, Any] | None = None) -> None:
    """Create the notification for this (event, recipient) unless it exists. The
    feed always gets it; the email goes unless there is no address, or the
    person turned off non-essential email and this is one."""
    recipient = session.get(Recipient, recipient_key)
    if recipient is None:
        raise RecipientUnknown(recipient_key)
    subject, text, html = render(kind, recipient.language,
                                 {"name": recipient.name, "link": app_url(), **context})
    wanted = recipient.email and (essential or recipient.non_essential_email)
    insert_ignore(session, Notification.__table__, [{
        "event_id": event_id, "recipient": recipient_key, "kind": kind, "subject": subject,
        "body_text": text, "body_html": html, "email_to": recipient.email,
        "email_status": "pending" if wanted else "skipped", "extras": extras or None,
        "email_attempts": 0, "created_at": datetime.now(UTC),
    }])


def attachments_for(n: Notification) -> list[tuple[str, bytes, str, str]]:
    """The voucher's QR code travels with its email."""
    code = (n.extras or {}).get("qr")
    if not code:
        return []
    out = io.BytesIO()
    segno.make(code, error="m").save(out, kind="png", scale=6)
    return [("voucher-qr.png", out.getvalue(), "image", "png")]


def deliver_pending(session: Session, event_id: str, send: Callable[..., None]) -> int:
    """Send this event's unsent emails; commit after each so none goes twice.
    Raises the last SMTP error if any failed (the event is then retried)."""
    pending = session.scalars(select(Notification).where(
        Notification.event_id == event_id, Notification.email_status == "pending")).all()
    failure: Exception | None = None
    sent = 0
    for n in pending:
        try:
            send(n.email_to, n.subject, n.body_text, n.body_html, attachments_for(n))
        except Exception as exc:  # noqa: BLE001 - recorded, then raised for retry
            n.email_attempts += 1
            n.email_error = f"{type(exc).__name__}: {exc}"[:500]
            if n.email_attempts >= MAX_EMAIL_ATTEMPTS:
                n.email_status = "failed"
            failure = exc
        else:
            n.email_status, n.email_error = "sent", None
            sent += 1
        session.commit()
    if failure is not None:
        raise failure
    return sent


def retry_failed(session: Session, send: Callable[..., None]) -> int:
    """An operator's retry of emails that failed after every attempt."""
    events = session.scalars(select(Notification.event_id).where(
        Notification.email_status == "failed").distinct()).all()
    session.execute(update(Notification).where(Notification.email_status == "failed")
                    .values(email_status="pending", email_attempts=0))
    session.commit()
    return sum(deliver_pending(session, e, send) for e in events)


def preferences(session: Session, recipient_key: str) -> dict[str, Any]:
    recipient = session.get(Recipient, recipient_key)
    if recipient is None:
        raise NotFound("no preferences yet for this person", {"recipient": ["unknown"]})
    return {"language": recipient.language,
            "non_essential_email": recipient.non_essential_email}


def set_preferences(session: Session, recipient_key: str, changes: dict[str, Any]
                    ) -> dict[str, Any]:
    recipient = session.get(Recipient, recipient_key)
    if recipient is None:
        raise NotFound("no preferences yet for this person", {"recipient": ["unknown"]})
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
    n = session.get(Notification, int(notification_id)) if notification_id.isdigit() else None
    if n is None or n.recipient not in recipients:
        raise NotFound("no such notification", {"notification_id": ["unknown"]})
    n.read_at = n.read_at or datetime.now(UTC)
