"""The catalog's own schema: providers, their agreements, offerings."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
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


class Base(DeclarativeBase):
    # every mapped class here has a Table (SQLAlchemy types `__table__` as any FromClause)
    __table__: ClassVar[Table]


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Provider(Base):
    __tablename__ = "providers"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    vat_number: Mapped[str] = mapped_column(String(11), unique=True)
    categories: Mapped[list] = mapped_column(JSON)
    address: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(2), default="", index=True)
    # Coordinates are positions, not money: floats are the right type here.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    email: Mapped[str] = mapped_column(String(254))
    iban: Mapped[str] = mapped_column(String(34))
    status: Mapped[str] = mapped_column(String(12), index=True)
    commission_bps: Mapped[int | None] = mapped_column(Integer)
    agreement_start: Mapped[date | None] = mapped_column(Date)
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    # The bounding-box prefilter of a search near a point reads this index.
    __table_args__ = (Index("ix_providers_status_lat_lon", "status", "lat", "lon"),)


class Offering(Base):
    __tablename__ = "offerings"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20), index=True)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    delivery: Mapped[str] = mapped_column(String(10), default="on_site")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_offerings_status_category", "status", "category"),
        # a category's page by price reads this in order
        Index("ix_offerings_category_price", "category", "price_cents", "seq",
              postgresql_where=text("status = 'active'")),
    )


class Proposal(Base):
    """An employee's proposal of a provider they use ("convenzionamento on demand"),
    tracked from invitation to approval."""

    __tablename__ = "proposals"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    employee_id: Mapped[str] = mapped_column(Id, index=True)
    company_id: Mapped[str | None] = mapped_column(Id)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), index=True)
    category: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # invited → applied → approved
    provider_id: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
