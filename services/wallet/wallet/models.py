"""The wallet's own schema: the double-entry ledger, top-ups, plan copies."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wecare_common.columns import UtcDateTime
from wecare_common.inbox import inbox_table
from wecare_common.outbox import outbox_table

Id = String(36)
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    # every mapped class here has a Table (SQLAlchemy types `__table__` as any FromClause)
    __table__: ClassVar[Table]


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

    # The ledger checks this before posting; the database refuses it too.
    __table_args__ = (CheckConstraint("balance_cents >= 0 OR may_go_negative",
                                      name="ck_accounts_not_negative"),)


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
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Posting(Base):
    # the foreign keys hold on SQLite; on PostgreSQL migration 0007 checks them once
    # per statement instead of per row, and refuses changes to the ledger
    # (docs/ledger.md#invariants)
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
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Plan(Base):
    """The wallet's copy of a benefits plan (from `plan.created`, `plan.changed` and
    grants), at its newest `version`."""

    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    categories: Mapped[list] = mapped_column(JSON)
    leftover_policy: Mapped[str] = mapped_column(String(20), default="return_to_fund")
    version: Mapped[int | None] = mapped_column(Integer)  # benefits' version of the plan
    # when the plan's end was applied to its leftovers
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Provider(Base):
    """The wallet's copy of a catalog provider (from provider.* events)."""

    __tablename__ = "providers"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    commission_bps: Mapped[int] = mapped_column(Integer, default=0)
    iban: Mapped[str | None] = mapped_column(String(34))
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    # when the event this copy came from happened: an older event changes nothing
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Offering(Base):
    """The wallet's copy of an offering: what a voucher for it costs and covers."""

    __tablename__ = "offerings"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    provider_id: Mapped[str] = mapped_column(Id, index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    price_cents: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FringeUsage(Base):
    """An employee's fringe-benefit spend in a fiscal year, against its limit.
    The row is locked by each fringe purchase, so two racing purchases cannot
    together cross the limit."""

    __tablename__ = "fringe_usage"
    employee_id: Mapped[str] = mapped_column(Id, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    limit_cents: Mapped[int] = mapped_column(BigInteger)
    used_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class Employee(Base):
    """The wallet's copy of an employee (from `employee.enrolled`, `employee.left`)."""

    __tablename__ = "employees"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    dependent_children: Mapped[int] = mapped_column(Integer, default=0)
    # once they left: they buy nothing, and credit given back goes to the company fund
    left_on: Mapped[date | None] = mapped_column(Date)


# a voucher's states in which its money is out of the plan's credit (spent, or held until
# a cancellation waiting for the offline window takes effect: docs/offline.md)
SPENT = ("issued", "cancelling", "redeemed")


class Voucher(Base):
    """A nominative welfare voucher: one good or service at its full value."""

    __tablename__ = "vouchers"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    employee_id: Mapped[str] = mapped_column(Id, index=True)
    company_id: Mapped[str] = mapped_column(Id, index=True)
    plan_id: Mapped[str] = mapped_column(Id)
    offering_id: Mapped[str] = mapped_column(Id)
    provider_id: Mapped[str] = mapped_column(Id, index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    commission_bps: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # bought at a network's agreed price (docs/domain.md#agreements-and-prices): the
    # offering's own price then, and whose agreement
    list_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    agreement_id: Mapped[str | None] = mapped_column(Id)
    # redeemed from what a provider's phone accepted without a network (docs/offline.md):
    # when the phone says it accepted it, and which phone
    accepted_offline_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    offline_device_id: Mapped[str | None] = mapped_column(String(64))
    # a cancellation waiting for the offline window (status `cancelling`), and, when an
    # acceptance sent meanwhile was paid instead, why it was refused
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancel_takes_effect_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancellation_refused: Mapped[str | None] = mapped_column(String(40))


class RedemptionRefusal(Base):
    """A redemption refused because the provider is not in the circuit (suspended):
    the operators' console shows how many, and the last (docs/domain.md#providers)."""

    __tablename__ = "redemption_refusals"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_id: Mapped[str] = mapped_column(Id, index=True)
    voucher_id: Mapped[str | None] = mapped_column(Id)  # when the code named one of its own
    reason: Mapped[str] = mapped_column(String(20))  # the provider's status: suspended, …
    refused_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OfflineLimits(Base):
    """What a provider's phone may accept without a network, set by the operators
    (docs/offline.md#the-providers-offline-limits); no row: the defaults."""

    __tablename__ = "offline_limits"
    provider_id: Mapped[str] = mapped_column(Id, primary_key=True)
    voucher_cents: Mapped[int] = mapped_column(BigInteger)
    waiting_cents: Mapped[int] = mapped_column(BigInteger)
    hours: Mapped[int] = mapped_column(Integer)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OfflineRedemption(Base):
    """Each acceptance a provider's phone sent (docs/offline.md): `recorded` (the one that
    redeemed the voucher) or `duplicate` (the voucher was redeemed already by this
    provider: paid once, reported to it and the operators). The same phone sending the
    same acceptance again finds its row and gets the same answer."""

    __tablename__ = "offline_redemptions"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    voucher_id: Mapped[str] = mapped_column(Id, index=True)
    provider_id: Mapped[str] = mapped_column(Id, index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(12))  # recorded | duplicate
    # for a duplicate: when the voucher had been redeemed, and on which phone (None: online)
    first_redeemed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_device_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ux_offline_redemptions_acceptance", "voucher_id", "device_id",
                            "accepted_at", unique=True),)


class ExpiryNotice(Base):
    """A `credits.expiring` already announced (plan, employee, days before)."""

    __tablename__ = "expiry_notices"
    plan_id: Mapped[str] = mapped_column(Id, primary_key=True)
    employee_id: Mapped[str] = mapped_column(Id, primary_key=True)
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)


class Payout(Base):
    """Money paid out to a provider in a settlement run: recorded first (`pending`,
    its money held in `payout:<id>`), then sent (SEPA: in the run's file at once;
    Stripe: once the transfer, keyed by this payout's id, went through)."""

    __tablename__ = "payouts"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    run_id: Mapped[str] = mapped_column(Id, index=True)
    provider_id: Mapped[str] = mapped_column(Id, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    commission_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(12))  # sepa | stripe
    status: Mapped[str] = mapped_column(String(12), server_default="sent")  # pending | sent
    reference: Mapped[str | None] = mapped_column(String(64))  # the transfer's, once sent
    transaction_id: Mapped[str] = mapped_column(Id)  # the latest ledger transaction
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_payouts_pending", "seq",
                            postgresql_where=text("status = 'pending'"),
                            sqlite_where=text("status = 'pending'")),)


class SettlementRun(Base):
    __tablename__ = "settlement_runs"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    sepa_xml: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StripeEvent(Base):
    """Stripe webhook events already handled (Stripe may deliver one twice)."""

    __tablename__ = "stripe_events"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReimbursementHold(Base):
    """Credit held for a reimbursement request until HR decides."""

    __tablename__ = "reimbursement_holds"
    id: Mapped[str] = mapped_column(Id, primary_key=True)  # the reimbursement's id
    company_id: Mapped[str] = mapped_column(Id, index=True)
    employee_id: Mapped[str] = mapped_column(Id, index=True)
    plan_id: Mapped[str] = mapped_column(Id)
    category: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # held → paid | released
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NetworkMember(Base):
    """The wallet's copy of which network a company is a member of now (from
    `network.member_joined` / `network.member_left`): None when none. Its
    employees buy at that network's agreed prices."""

    __tablename__ = "network_members"
    company_id: Mapped[str] = mapped_column(Id, primary_key=True)
    network_id: Mapped[str | None] = mapped_column(Id)
    # when the event this copy came from happened: an older event changes nothing
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Agreement(Base):
    """The wallet's copy of a network's agreement on an offering's price (from
    `agreement.accepted` / `agreement.ended`): applied at purchase while `active`."""

    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    network_id: Mapped[str] = mapped_column(Id)
    offering_id: Mapped[str] = mapped_column(Id)
    price_cents: Mapped[int | None] = mapped_column(BigInteger)
    discount_bps: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_agreements_network_offering", "network_id", "offering_id"),)
