"""The benefits domain in memory: its own tables in an in-memory SQLite database
(wecare_common.testing), and a company's HR building on it as the service does:
input loaded through the service's schemas, then the domain function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from benefits import domain
from benefits.models import Base
from benefits.schemas import CompanyRequest, EmployeeRequest, PlanRequest
from sqlalchemy.orm import Session, sessionmaker
from wecare_common.schemas import load
from wecare_common.testing import memory_database, outbox_events

TODAY = date.today()


@pytest.fixture
def memory_factory() -> Iterator[sessionmaker[Session]]:
    with memory_database("benefits", Base.metadata) as factory:
        yield factory


@pytest.fixture
def memory_session(memory_factory: sessionmaker[Session]) -> Iterator[Session]:
    with memory_factory() as session:
        yield session


class Hr:
    """One company's HR on an in-memory session; each call a request of its own, as
    the service runs it: committed when it succeeds, rolled back when it fails."""

    def __init__(self, session: Session, fake: Any) -> None:
        self.session, self.fake = session, fake
        self.company_id = self.company()["id"]

    def request(self, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            result = call()
        except Exception:
            self.session.rollback()
            raise
        self.session.commit()
        return result

    def company(self, **changes: Any) -> dict[str, Any]:
        return self.request(lambda: domain.create_company(self.session, load(CompanyRequest, {
            "name": "Officine Rossi", "vat_number": self.fake.vat_number(),
            "hr_manager": {"email": self.fake.email("hr"), "first_name": "Giulia",
                           "last_name": "Neri"}, **changes})))

    def employee_data(self, **changes: Any) -> dict[str, Any]:
        return {"email": self.fake.email("employee"), "first_name": "Anna",
                "last_name": "Blu", "fiscal_code": self.fake.fiscal_code(), **changes}

    def employee(self, company_id: str | None = None, key: str | None = None,
                 **changes: Any) -> dict[str, Any]:
        return self.request(lambda: domain.enroll_employee(
            self.session, company_id or self.company_id,
            load(EmployeeRequest, self.employee_data(**changes)), key))

    def plan(self, **changes: Any) -> dict[str, Any]:
        return self.request(lambda: domain.create_plan(
            self.session, self.company_id, load(PlanRequest, {
            "name": "Welfare", "fiscal_year": TODAY.year,
            "valid_from": (TODAY - timedelta(days=5)).isoformat(),
            "valid_until": (TODAY + timedelta(days=60)).isoformat(),
            "categories": ["education", "health_fund"], "leftover_policy": "return_to_fund",
            **changes})))

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in outbox_events(self.session, Base.metadata)
                if kind in (None, e["type"])]


@pytest.fixture
def hr(memory_session: Session, fake: Any) -> Hr:
    return Hr(memory_session, fake)
