"""The benefits service's own schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wecare_common.columns import UtcDateTime
from wecare_common.inbox import inbox_table
from wecare_common.outbox import outbox_table

Id = String(36)


class Base(DeclarativeBase):
    # every mapped class here has a Table (SQLAlchemy types `__table__` as any FromClause)
    __table__: ClassVar[Table]


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Company(Base):
    __tablename__ = "companies"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    vat_number: Mapped[str] = mapped_column(String(11), unique=True)
    hr_email: Mapped[str] = mapped_column(String(254))
    hr_first_name: Mapped[str] = mapped_column(String(100))
    hr_last_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # What salary-equivalent estimates assume for this company's people (None: the
    # defaults of benefits.fiscal_rules; docs/fiscal-rules.md#estimates)
    inps_employee_bps: Mapped[int | None] = mapped_column(Integer)
    surcharges_bps: Mapped[int | None] = mapped_column(Integer)
    estimate_band: Mapped[str | None] = mapped_column(String(10))


class Employee(Base):
    __tablename__ = "employees"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    email: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    fiscal_code: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5), default="it")
    group: Mapped[str | None] = mapped_column(String(60))
    hire_date: Mapped[date | None] = mapped_column(Date)
    dependent_children: Mapped[list] = mapped_column(JSON, default=list)
    # previous-year employment income: "up_to_80k" or "over_80k" (L. 208/2015)
    income_band: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="active")
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("company_id", "fiscal_code", name="uq_employee_fiscal_code"),
        UniqueConstraint("company_id", "email", name="uq_employee_email"),
        # the HR table's default order (by name), read from the index a page at a time
        Index("ix_employees_company_name", "company_id", "last_name", "first_name", "seq"),
    )


class Plan(Base):
    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(String(200))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    categories: Mapped[list] = mapped_column(JSON)
    target_groups: Mapped[list | None] = mapped_column(JSON)
    leftover_policy: Mapped[str] = mapped_column(String(20))
    per_employee_budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # raised by each change (benefits.plans): copies elsewhere keep the newest
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # the network's shared plan this plan adopts (benefits.shared_plans), if any
    template_id: Mapped[str | None] = mapped_column(Id)

    # a company adopts a shared plan once
    __table_args__ = (UniqueConstraint("company_id", "template_id",
                                       name="uq_plans_company_template"),)


class Grant(Base):
    """Recorded before the wallet moves its money (`pending`, with whom it is for),
    `done` once the wallet has (its transaction then)."""

    __tablename__ = "grants"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    plan_id: Mapped[str] = mapped_column(Id, index=True)
    source: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    employee_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), server_default="done")  # pending | done
    employee_ids: Mapped[list | None] = mapped_column(JSON)  # while pending
    total_cents: Mapped[int | None] = mapped_column(BigInteger)
    transaction_id: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # A bonus offer's welfare part (benefits.offers): the employees' own choice, so a
    # refusal by the wallet (a fund short) keeps it pending, retried, never forgotten
    offer_id: Mapped[str | None] = mapped_column(Id, index=True)
    problem: Mapped[str | None] = mapped_column(String(500))  # the wallet's last refusal
    # a direct conversion by HR: where the employees' written choice is recorded
    choice_record: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_grants_pending", "created_at",
                            postgresql_where=text("status = 'pending'"),
                            sqlite_where=text("status = 'pending'")),)


class BudgetUse(Base):
    """What a plan with a per-employee budget has granted each employee."""

    __tablename__ = "budget_use"
    plan_id: Mapped[str] = mapped_column(Id, primary_key=True)
    employee_id: Mapped[str] = mapped_column(Id, primary_key=True)
    granted_cents: Mapped[int] = mapped_column(BigInteger)


class BonusConversion(Base):
    """Performance bonus converted into welfare credit, per employee and year
    (L. 208/2015: at most the year's cap, `fiscal_rules`)."""

    __tablename__ = "bonus_conversions"
    employee_id: Mapped[str] = mapped_column(Id, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    converted_cents: Mapped[int] = mapped_column(BigInteger)
    # bonus paid in cash at the substitute tax (a settled offer's cash part): the cap
    # is on the year's bonus with the tax relief, cash and converted together
    cash_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class BonusOffer(Base):
    """A performance bonus HR offers to eligible employees, each choosing before the
    deadline how much of it to take as welfare credit (L. 208/2015 art. 1 c. 184:
    "per scelta del lavoratore"); the rest is paid in cash with the payroll
    (docs/domain.md#bonus-offers). open → settling (outcomes recorded, the welfare part
    being granted) → settled."""

    __tablename__ = "bonus_offers"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    plan_id: Mapped[str] = mapped_column(Id)
    name: Mapped[str] = mapped_column(String(200))
    agreement: Mapped[str] = mapped_column(String(300))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[date] = mapped_column(Date)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    employee_count: Mapped[int] = mapped_column(Integer)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_bonus_offers_open", "deadline",
                            postgresql_where=text("status <> 'settled'"),
                            sqlite_where=text("status <> 'settled'")),)


class BonusChoice(Base):
    """One employee's part of an offer: their choice (None: none made, so cash), and at
    the deadline what it came to."""

    __tablename__ = "bonus_choices"
    offer_id: Mapped[str] = mapped_column(Id, primary_key=True)
    employee_id: Mapped[str] = mapped_column(Id, primary_key=True, index=True)
    welfare_cents: Mapped[int | None] = mapped_column(BigInteger)
    chosen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # at the deadline (None before): how it was paid, as the payroll report shows it
    outcome: Mapped[str | None] = mapped_column(String(20))
    granted_welfare_cents: Mapped[int | None] = mapped_column(BigInteger)
    cash_cents: Mapped[int | None] = mapped_column(BigInteger)
    at_substitute_tax_cents: Mapped[int | None] = mapped_column(BigInteger)
    contributions_cents: Mapped[int | None] = mapped_column(BigInteger)
    substitute_tax_base_cents: Mapped[int | None] = mapped_column(BigInteger)
    substitute_tax_cents: Mapped[int | None] = mapped_column(BigInteger)
    ordinary_cents: Mapped[int | None] = mapped_column(BigInteger)
    grant_id: Mapped[str | None] = mapped_column(Id)


class Reimbursement(Base):
    __tablename__ = "reimbursements"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    employee_id: Mapped[str] = mapped_column(Id, index=True)
    plan_id: Mapped[str] = mapped_column(Id)
    category: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    spent_on: Mapped[date] = mapped_column(Date)
    provider_tax_id: Mapped[str] = mapped_column(String(16))
    beneficiary_fiscal_code: Mapped[str] = mapped_column(String(16))
    receipt_key: Mapped[str] = mapped_column(String(200))
    receipt_content_type: Mapped[str] = mapped_column(String(40))
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReceiptFile(Base):
    """A receipt's bytes, kept in the database: every replica reads the same, and
    no pod needs a writable disk (Kubernetes runs a read-only root file system)."""

    __tablename__ = "receipt_files"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Network(Base):
    """An association, consortium or network contract that runs welfare for its member
    firms (docs/domain.md#networks)."""

    __tablename__ = "networks"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)  # its public page's address
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    tax_id: Mapped[str] = mapped_column(String(16), unique=True)
    provinces: Mapped[list] = mapped_column(JSON)
    municipalities: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Membership(Base):
    """A firm's place in a network, from the network's invitation: `invited` until the
    firm's HR manager answers (`active` or `declined`), or the network withdraws it;
    `active` until the firm leaves (`left`). A firm is `active` in one network at most
    (the partial unique index)."""

    __tablename__ = "network_memberships"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    network_id: Mapped[str] = mapped_column(Id, index=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    status: Mapped[str] = mapped_column(String(10))
    municipality: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(2))
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("uq_memberships_one_network", "company_id", unique=True,
              postgresql_where=text("status = 'active'"),
              sqlite_where=text("status = 'active'")),
        Index("uq_memberships_one_invitation", "network_id", "company_id", unique=True,
              postgresql_where=text("status = 'invited'"),
              sqlite_where=text("status = 'invited'")),
    )


class SharedPlan(Base):
    """A network's plan template: each member adopts it as a plan of its own (a `Plan`
    with this `template_id`), funded from its own fund."""

    __tablename__ = "shared_plans"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    network_id: Mapped[str] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    categories: Mapped[list] = mapped_column(JSON)
    leftover_policy: Mapped[str] = mapped_column(String(20))
    amount_per_employee_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))  # proposed | withdrawn
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
