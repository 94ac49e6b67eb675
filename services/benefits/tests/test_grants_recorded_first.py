"""A grant calls the wallet with no database transaction open and no row lock held:
it is recorded first (pending, with the budget and bonus room taken), the wallet
moves the money keyed by the grant's id, then the grant is done. A refusal gives the
room back; a wallet out of reach leaves it pending, finished by a retry with the same
key or by the minute's sweep, the money moved once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from benefits import domain
from benefits.models import Base, BonusConversion, BudgetUse, Grant, outbox
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from wecare_common.errors import InsufficientFunds, RuleViolation, ServiceTimeout
from wecare_common.outbox import outbox_sessionmaker

TODAY = date.today()


@pytest.fixture(scope="module")
def factory(engines) -> Iterator[sessionmaker[Session]]:
    engine = engines("benefits")
    yield outbox_sessionmaker(engine, Base.metadata)
    with engine.begin() as conn:  # the events written here stay unpublished: removed
        conn.execute(outbox.delete().where(outbox.c.sent_at.is_(None)))


class Wallet:
    """The wallet as benefits sees it: keyed (a retry with the key moves nothing more);
    it may refuse or be out of reach. Each call checks that benefits holds no
    transaction and no row lock meanwhile."""

    def __init__(self, session: Session, engine) -> None:
        self.session, self.engine = session, engine
        self.moved: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.refuse = self.away = False

    def __call__(self, **kw: Any) -> dict[str, Any]:
        assert not self.session.in_transaction(), "the wallet called inside a transaction"
        with self.engine.begin() as conn:  # the budget and bonus rows lockable at once
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(select(BudgetUse.plan_id).with_for_update(nowait=True)).all()
            conn.execute(select(BonusConversion.year).with_for_update(nowait=True)).all()
            conn.execute(select(Grant.id).with_for_update(nowait=True)).all()
        self.calls.append(kw["idempotency_key"])
        if self.away:
            self.moved.setdefault(kw["idempotency_key"], self._move(kw))  # moved, reply lost
            raise ServiceTimeout("the wallet service did not answer within 60s")
        if self.refuse:
            raise InsufficientFunds("the company fund is short for this grant",
                                    {"amount_cents": ["100 cents missing"]})
        return self.moved.setdefault(kw["idempotency_key"], self._move(kw))

    def _move(self, kw: dict[str, Any]) -> dict[str, Any]:
        return {"transaction_id": str(uuid.uuid4()),
                "total_cents": kw["amount_cents"] * len(kw["employee_ids"])}


@pytest.fixture
def world(factory, engines, fake):
    with factory() as s:
        company = domain.create_company(s, {
            "name": "Officine Test", "vat_number": fake.vat_number(),
            "hr_manager": {"email": fake.email("hr"), "first_name": "Giulia",
                           "last_name": "Neri"}})["id"]
        anna = domain.enroll_employee(s, company, {
            "email": fake.email("employee"), "first_name": "Anna", "last_name": "Blu",
            "fiscal_code": fake.fiscal_code(), "dependent_children": [], "language": "it",
            "group": None, "hire_date": None, "income_band": "up_to_80k"})["id"]
        plan = domain.create_plan(s, company, {
            "name": "Welfare", "fiscal_year": TODAY.year,
            "valid_from": TODAY - timedelta(days=5), "valid_until": TODAY + timedelta(days=60),
            "categories": ["education"], "leftover_policy": "return_to_fund",
            "target_groups": None, "per_employee_budget_cents": 1_000})["id"]
        s.commit()
    session = factory()
    yield session, Wallet(session, engines("benefits")), company, plan, anna
    session.close()


def _grant(session, wallet, company, plan, anna, cents: int, key: str,
           source: str = "company") -> dict[str, Any]:
    return domain.grant_credits(session, company_id=company, plan_id=plan, idempotency_key=key,
                                data={"amount_cents": cents, "employee_ids": [anna],
                                      "all": False, "source": source},
                                wallet_grant=wallet)


def _events(session, grant_id: str) -> int:
    count = session.scalar(select(func.count()).select_from(outbox).where(
        outbox.c.event_type == "credits.granted",
        outbox.c.envelope["payload"]["grant_id"].as_string() == grant_id))
    session.commit()
    return count


def test_the_wallet_is_called_with_nothing_open_or_locked(world) -> None:
    session, wallet, company, plan, anna = world
    done = _grant(session, wallet, company, plan, anna, 600, "k1", source="performance_bonus")
    assert done["total_cents"] == 600 and done["employee_ids"] == [anna]
    assert wallet.calls == [done["id"]]  # keyed by the grant's own id
    assert _events(session, done["id"]) == 1
    grant = session.get(Grant, done["id"])
    assert (grant.status, grant.employee_ids) == ("done", None)
    assert _grant(session, wallet, company, plan, anna, 600, "k1",
                  source="performance_bonus")["replayed"] is True
    assert wallet.calls == [done["id"]]


def test_a_refusal_gives_the_room_back(world) -> None:
    session, wallet, company, plan, anna = world
    wallet.refuse = True
    with pytest.raises(InsufficientFunds):
        _grant(session, wallet, company, plan, anna, 1_000, "short",
               source="performance_bonus")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Grant).where(
        Grant.company_id == company)) == 0
    used = session.scalar(select(BudgetUse.granted_cents).where(BudgetUse.plan_id == plan))
    converted = session.scalar(select(BonusConversion.converted_cents).where(
        BonusConversion.employee_id == anna))
    assert (used, converted) == (0, 0)
    wallet.refuse = False  # the fund topped up: the whole budget can go
    assert _grant(session, wallet, company, plan, anna, 1_000, "short")["total_cents"] == 1_000


def test_a_wallet_out_of_reach_leaves_it_pending_and_the_key_finishes_it_once(world) -> None:
    session, wallet, company, plan, anna = world
    wallet.away = True
    with pytest.raises(ServiceTimeout):
        _grant(session, wallet, company, plan, anna, 700, "lost-reply")
    session.rollback()
    (pending,) = session.scalars(select(Grant).where(Grant.company_id == company)).all()
    assert pending.status == "pending" and pending.employee_ids == [anna]
    session.commit()
    wallet.away = False
    done = _grant(session, wallet, company, plan, anna, 700, "lost-reply")  # the retry
    assert done["id"] == pending.id and done["total_cents"] == 700
    assert wallet.calls == [pending.id, pending.id] and len(wallet.moved) == 1
    assert _events(session, pending.id) == 1
    with pytest.raises(RuleViolation, match="budget"):  # the 700 are counted once
        _grant(session, wallet, company, plan, anna, 301, "over")
    session.rollback()


def test_the_sweep_finishes_a_grant_left_pending(world) -> None:
    session, wallet, company, plan, anna = world
    wallet.away = True
    with pytest.raises(ServiceTimeout):
        _grant(session, wallet, company, plan, anna, 500, "crashed")
    session.rollback()
    wallet.away = False
    assert domain.finish_pending_grants(session, wallet, older_than=timedelta(0)) >= 1
    (grant,) = session.scalars(select(Grant).where(Grant.company_id == company)).all()
    assert grant.status == "done" and grant.total_cents == 500
    assert _events(session, grant.id) == 1
