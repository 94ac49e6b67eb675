"""The gateway's own schema: users, their credentials, idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Table, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wecare_common.columns import UtcDateTime
from wecare_common.outbox import outbox_table


class Base(DeclarativeBase):
    # every mapped class here has a Table (SQLAlchemy types `__table__` as any FromClause)
    __table__: ClassVar[Table]


# invitations and password resets leave as events, through the outbox
outbox = outbox_table(Base.metadata)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None until the person sets one (an invited employee)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    company_id: Mapped[str | None] = mapped_column(String(36), index=True)
    employee_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    provider_id: Mapped[str | None] = mapped_column(String(36), index=True)
    network_id: Mapped[str | None] = mapped_column(String(36), index=True)  # role network
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # how access ends (gateway/gateway/standing.py): disabled by an operator or removed
    # by an HR colleague (who, why), or an employee who left (read-only until access_until)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_by: Mapped[str | None] = mapped_column(String(36))
    disabled_reason: Mapped[str | None] = mapped_column(String(20))  # removed | disabled
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    access_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class IdempotencyRecord(Base):
    """The first answer to a money-moving request, replayed for its retries."""

    __tablename__ = "idempotency_records"
    caller: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)  # None while in progress
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class RateCounter(Base):
    """Attempts in a fixed window, shared by every gateway replica."""

    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class LoginSession(Base):
    """A signed-in session: its refresh token (hashed) and whether it was ended.
    Access tokens name it (`sid`), so logging out revokes them too."""

    __tablename__ = "login_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OneTimeToken(Base):
    """An emailed link's secret (hashed): set a first password, or a new one."""

    __tablename__ = "one_time_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    purpose: Mapped[str] = mapped_column(String(12))  # invitation | reset
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Signup(Base):
    """A sign-up (a company with its HR manager, an employee, a provider) recorded
    before the service that keeps the record is asked (docs/architecture.md#rules-of-the-house): its
    account waits,
    unlinked and with no password, until the service has answered; then it is linked,
    given its password (or sent its invitation) and the sign-up is done. A retry with
    the request's Idempotency-Key resumes it and gets the same answer."""

    __tablename__ = "signups"
    key: Mapped[str] = mapped_column(String(260), primary_key=True)  # kind:caller:key
    kind: Mapped[str] = mapped_column(String(12))  # company | employee | provider | network
    user_id: Mapped[str] = mapped_column(String(36))
    request_hash: Mapped[str] = mapped_column(String(64))
    call: Mapped[dict] = mapped_column(JSON)  # the service's RPC: service, method, args
    password_hash: Mapped[str | None] = mapped_column(String(200))
    invite_name: Mapped[str | None] = mapped_column(String(200))  # no password: invited
    status: Mapped[str] = mapped_column(String(12))  # pending | done
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_signups_pending", "created_at",
                            postgresql_where=text("status = 'pending'"),
                            sqlite_where=text("status = 'pending'")),)


class IncomeEstimate(Base):
    """An employee's own approximate gross yearly income, for the salary-equivalent
    estimates of their welfare (docs/fiscal-rules.md#estimates). The person's own data,
    kept with their account: no company's HR reads it (only the employee room's routes
    do, `gateway.estimates`), and no service keeps it (each question carries it)."""

    __tablename__ = "income_estimates"
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    income_cents: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
