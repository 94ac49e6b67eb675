"""A small wallet world on real PostgreSQL: a funded company, a plan, employees,
an approved provider with offerings (the copies the wallet keeps from events)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from wallet import copies, funding, ledger, vouchers
from wallet.ledger import Leg
from wallet.models import Base, outbox
from wecare_common.db import make_engine
from wecare_common.errors import InsufficientFunds, RuleViolation
from wecare_common.outbox import outbox_sessionmaker


@dataclass
class World:
    factory: sessionmaker[Session]
    company_id: str
    plan: dict
    provider_id: str
    offerings: dict[str, str] = field(default_factory=dict)  # category -> offering id
    employees: list[str] = field(default_factory=list)

    def grant(self, employee: str, cents: int, key: str | None = None) -> dict:
        key = key or str(uuid.uuid4())
        with self.factory() as s:
            # as in benefits: the grant's id follows from its key
            result = funding.grant(s, grant_id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
                                   company_id=self.company_id,
                                   plan=self.plan, idempotency_key=key,
                                   employee_ids=[employee], amount_cents=cents)
            s.commit()
            return result

    def purchase(self, employee: str, category: str, key: str | None = None
                 ) -> tuple[str, Any]:
        """("ok", voucher) or (the refusal's class name, its message)."""
        with self.factory() as s:
            try:
                voucher = vouchers.purchase(
                    s, employee_id=employee, offering_id=self.offerings[category],
                    plan_id=None, idempotency_key=key or str(uuid.uuid4()),
                    fringe_limit=_known_limit)
                s.commit()
                return "ok", voucher
            except (InsufficientFunds, RuleViolation) as exc:
                s.rollback()
                return type(exc).__name__, str(exc)


@pytest.fixture(scope="module")
def wallet_engine(database_url: str) -> Iterator:
    engine = make_engine("wallet", database_url, pool_size=20, max_overflow=0)
    yield engine
    engine.dispose()


def new_world(engine, *, fund_cents: int, employees: int = 1, price_cents: int = 1_000,
              fringe_price_cents: int = 60_000, categories=("education", "fringe"),
              **plan_extra) -> World:
    factory = outbox_sessionmaker(engine, Base.metadata)
    company, provider = str(uuid.uuid4()), str(uuid.uuid4())
    today = date.today()
    plan = {"id": str(uuid.uuid4()), "company_id": company, "name": "Plan",
            "valid_from": (today - timedelta(days=10)).isoformat(),
            "valid_until": (today + timedelta(days=60)).isoformat(),
            "categories": list(categories), "leftover_policy": "return_to_fund", **plan_extra}
    world = World(factory, company, plan, provider)
    now = datetime.now(UTC)
    with factory() as s:
        copies.keep_plan(s, plan)
        copies.keep_provider(s, {"id": provider, "name": "Asilo", "status": "approved",
                                 "commission_bps": 250, "iban": "IT60X0542811101000000123456"},
                             as_of=now)
        for category, price in (("education", price_cents), ("fringe", fringe_price_cents),
                                ("wellbeing", price_cents)):
            offering = str(uuid.uuid4())
            copies.keep_offering(s, {"id": offering, "provider_id": provider,
                                     "title": category, "category": category,
                                     "price_cents": price}, active=True, as_of=now)
            world.offerings[category] = offering
        for _ in range(employees):
            employee = str(uuid.uuid4())
            copies.keep_employee(s, {"id": employee, "company_id": company,
                                     "fiscal_year": today.year, "fringe_limit_cents": 100_000})
            world.employees.append(employee)
        ledger.post(s, kind="topup", idempotency_key=str(uuid.uuid4()), company_id=company,
                    legs=ledger.transfer(Leg(ledger.EXTERNAL_BANK, 0), [
                        Leg(ledger.fund_account(company), fund_cents, company_id=company)]))
        s.commit()
    return world


def _known_limit(employee_id: str, year: int) -> int:
    raise AssertionError("the fringe limit was already known from employee.enrolled")


@pytest.fixture
def make_world(wallet_engine) -> Iterator[Any]:
    """make_world(fund_cents=…, employees=…, price_cents=…) → a fresh World.

    The events these worlds write stay unpublished (no relay runs here); they
    are removed afterwards, so that no later test's wallet relays a backlog of
    strangers' events into its broker."""
    yield lambda **kwargs: new_world(wallet_engine, **kwargs)
    with wallet_engine.begin() as conn:
        conn.execute(outbox.delete().where(outbox.c.sent_at.is_(None)))
