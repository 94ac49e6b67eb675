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
    # every email to the provider is in it (notifications keeps it as the contact's)
    language: Mapped[str] = mapped_column(String(5), default="it", server_default="it")
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


class NetworkProvider(Base):
    """A network's approval of a provider for its members (beside the operators' own):
    the provider is in the network's circuit while `approved`."""

    __tablename__ = "network_providers"
    network_id: Mapped[str] = mapped_column(Id, primary_key=True)
    provider_id: Mapped[str] = mapped_column(Id, primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(12))  # approved | withdrawn
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Agreement(Base):
    """A network's agreement with a provider on one offering's price for the
    employees of the network's members: proposed by the network, in force once the
    provider accepts (`active`), until either ends it (docs/domain.md#agreements-and-prices)."""

    __tablename__ = "agreements"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    network_id: Mapped[str] = mapped_column(Id, index=True)
    network_name: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[str] = mapped_column(Id, index=True)
    offering_id: Mapped[str] = mapped_column(Id, index=True)
    price_cents: Mapped[int | None] = mapped_column(BigInteger)
    discount_bps: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # proposed → active | declined | withdrawn; active → ended
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # one agreement proposed or in force per network and offering
    __table_args__ = (Index("uq_agreements_one_per_offering", "network_id", "offering_id",
                            unique=True,
                            postgresql_where=text("status IN ('proposed', 'active')"),
                            sqlite_where=text("status IN ('proposed', 'active')")),)


class CompanyNetwork(Base):
    """The catalog's copy of which network a company is in now (from
    `network.member_joined` / `network.member_left`): its employees see that
    network's agreed offers marked as such."""

    __tablename__ = "company_networks"
    company_id: Mapped[str] = mapped_column(Id, primary_key=True)
    network_id: Mapped[str | None] = mapped_column(Id)
    network_name: Mapped[str | None] = mapped_column(String(200))
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())
