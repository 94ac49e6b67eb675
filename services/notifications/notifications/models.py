"""The notifications service's own schema: who to tell, and what was told."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wecare_common.columns import UtcDateTime
from wecare_common.inbox import inbox_table
from wecare_common.outbox import outbox_table


class Base(DeclarativeBase):
    # every mapped class here has a Table (SQLAlchemy types `__table__` as any FromClause)
    __table__: ClassVar[Table]


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Recipient(Base):
    """A person or mailbox we notify, keyed like `employee:<id>` or `company:<id>`."""

    __tablename__ = "recipients"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="it")
    company_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # a person may turn off non-essential email; vouchers, money and security always go
    non_essential_email: Mapped[bool] = mapped_column(Boolean, default=True)


class Notification(Base):
    """One message to one recipient for one event: the (event, recipient) pair
    is unique, so a redelivered event tells nobody twice."""

    __tablename__ = "notifications"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    recipient: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    email_to: Mapped[str | None] = mapped_column(String(254))
    # pending → sent, or failed after the retries; skipped when there is no address
    email_status: Mapped[str] = mapped_column(String(10))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_error: Mapped[str | None] = mapped_column(String(500))
    # what to attach when sending, e.g. {"qr": "<voucher code>"}
    extras: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("event_id", "recipient", name="uq_notification_once"),)
