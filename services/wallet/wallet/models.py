"""The wallet's own schema: the double-entry ledger, top-ups, plan copies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wecare_common.inbox import inbox_table
from wecare_common.outbox import outbox_table

Id = String(36)
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Account(Base):
    """A ledger account. `balance_cents` is kept with every posting under a row
    lock; the audit recomputes it from the postings."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    company_id: Mapped[str | None] = mapped_column(Id, index=True)
    owner_id: Mapped[str | None] = mapped_column(Id, index=True)
    plan_id: Mapped[str | None] = mapped_column(Id)
    may_go_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerTransaction(Base):
    """An append-only ledger transaction; never updated once posted."""

    __tablename__ = "ledger_transactions"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[str | None] = mapped_column(Id, index=True)
    memo: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Posting(Base):
    __tablename__ = "postings"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_postings_account_seq", "account_id", "seq"),)


class Topup(Base):
    __tablename__ = "topups"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    bank_reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    transaction_id: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Plan(Base):
    """The wallet's copy of a benefits plan, as of the grants made on it."""

    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    categories: Mapped[list] = mapped_column(JSON)
