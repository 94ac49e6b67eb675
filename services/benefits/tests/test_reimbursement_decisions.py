"""A reimbursement's decision calls the wallet (pay or release the held credit) with no
transaction open and no row lock held; the decision is recorded after, once: a twin of
the same decision gets the same answer, an opposite one is refused."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from benefits import domain, reimbursements
from benefits.models import Base, Reimbursement, outbox
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from wecare_common.errors import Conflict
from wecare_common.outbox import outbox_sessionmaker


@pytest.fixture(scope="module")
def factory(engines) -> Iterator[sessionmaker[Session]]:
    engine = engines("benefits")
    yield outbox_sessionmaker(engine, Base.metadata)
    with engine.begin() as conn:  # the events written here stay unpublished: removed
        conn.execute(outbox.delete().where(outbox.c.sent_at.is_(None)))


class Store:
    def put(self, key: str, content: bytes) -> None:
        pass


class Wallet:
    """Holds, pays or releases once per reimbursement, as the wallet does; checks that
    benefits holds no transaction and no lock meanwhile."""

    def __init__(self, session: Session, engine) -> None:
        self.session, self.engine, self.outcome = session, engine, {}

    def _free(self) -> None:
        assert not self.session.in_transaction(), "the wallet called inside a transaction"
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(select(Reimbursement.id).with_for_update(nowait=True)).all()

    def hold(self, **kw: Any) -> dict[str, Any]:
        self._free()
        return {"plan_id": str(uuid.uuid4())}

    def settle(self, outcome: str):
        def call(reimbursement_id: str) -> dict[str, Any]:
            self._free()
            done = self.outcome.setdefault(reimbursement_id, outcome)
            if done != outcome:
                raise Conflict(f"this reimbursement was {done}", {"id": [done]})
            return {"status": done}
        return call


def test_deciding_calls_the_wallet_with_nothing_open_and_records_once(factory, engines,
                                                                       fake) -> None:
    with factory() as s:
        company = domain.create_company(s, {
            "name": "Officine Test", "vat_number": fake.vat_number(),
            "hr_manager": {"email": fake.email("hr"), "first_name": "G", "last_name": "N"}})
        code = fake.fiscal_code()
        employee = domain.enroll_employee(s, company["id"], {
            "email": fake.email("e"), "first_name": "Anna", "last_name": "Blu",
            "fiscal_code": code, "dependent_children": [], "language": "it", "group": None,
            "hire_date": None, "income_band": None})
        s.commit()
    session = factory()
    wallet = Wallet(session, engines("benefits"))
    asked = reimbursements.request(
        session, employee_id=employee["id"], idempotency_key=uuid.uuid4().hex, store=Store(),
        hold=wallet.hold, data={
            "amount_cents": 12_000, "category": "education", "spent_on": date.today(),
            "provider_tax_id": "01234567890", "beneficiary_fiscal_code": code,
            "plan_id": None, "receipt_content_type": "application/pdf",
            "receipt_base64": base64.b64encode(b"%PDF-1.4 receipt").decode()})
    session.commit()

    def decide(approved: bool) -> dict[str, Any]:
        return reimbursements.decide(
            session, company_id=company["id"], reimbursement_id=asked["id"],
            approved=approved, reason="" if approved else "not a school", pay=wallet.settle(
                "paid"), release=wallet.settle("released"))

    assert decide(True)["status"] == "approved"
    session.commit()
    with pytest.raises(Conflict):  # decided: the opposite is refused
        decide(False)
    session.rollback()
    assert wallet.outcome == {asked["id"]: "paid"}
    session.close()
