"""Time passing, on real PostgreSQL: vouchers expire back to credit, a plan's
end applies its leftover policy, and employees hear 14 and 3 days before."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select
from wallet import copies, expiry, ledger, vouchers
from wallet.models import Plan, Voucher


def _events(session, event_type: str, company_id: str) -> list[dict]:
    from wallet.models import outbox

    rows = session.execute(select(outbox.c.envelope).where(
        outbox.c.event_type == event_type)).scalars().all()
    return [e["payload"] for e in rows if e["company_id"] == company_id]


def test_an_unredeemed_voucher_expires_back_to_the_credit(make_world) -> None:
    world = make_world(fund_cents=5_000, price_cents=2_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    with world.factory() as s:
        expiry = datetime.fromisoformat(voucher["expires_at"])
        # not while a provider's phone may still send it as accepted on its last day
        assert vouchers.expire_due(s, now=expiry + timedelta(hours=47)) >= 0
        assert s.scalar(select(Voucher.status).where(Voucher.id == voucher["id"])) == "issued"
        later = expiry + timedelta(hours=48, seconds=1)  # the default offline window
        expired = 0
        while batch := vouchers.expire_due(s, now=later):  # other tests' vouchers too
            expired += batch
            s.commit()
        assert expired >= 1
        assert s.scalar(select(Voucher.status).where(Voucher.id == voucher["id"])) == "expired"
        assert ledger.balance(s, ledger.credit_account(employee, world.plan["id"])) == 5_000
        assert [e["id"] for e in _events(s, "voucher.expired", world.company_id)] == [
            voucher["id"]]
        assert ledger.audit(s)["balanced"]


def test_a_plan_end_returns_leftovers_to_the_company_fund(make_world) -> None:
    world = make_world(fund_cents=9_000)
    a, b = world.employees[0], str(uuid.uuid4())
    with world.factory() as s:
        copies.keep_employee(s, {"id": b, "company_id": world.company_id})
        s.commit()
    world.grant(a, 3_000)
    world.grant(b, 4_000)
    with world.factory() as s:
        plan = s.get(Plan, world.plan["id"])
        summary = expiry.close_plan(s, plan)
        s.commit()
        assert summary["destination"] == "company_fund" and summary["total_cents"] == 7_000
        assert ledger.balance(s, ledger.fund_account(world.company_id)) == 9_000
        assert ledger.balance(s, ledger.credit_account(a, plan.id)) == 0
        assert plan.closed_at is not None
        assert _events(s, "credits.expired", world.company_id)[0]["total_cents"] == 7_000


def test_a_roll_over_plan_moves_leftovers_into_the_next_plan_once_it_exists(make_world) -> None:
    world = make_world(fund_cents=5_000, leftover_policy="roll_over")
    (employee,) = world.employees
    world.grant(employee, 5_000)
    with world.factory() as s:
        plan = s.get(Plan, world.plan["id"])
        assert expiry.close_plan(s, plan) is None  # no next plan yet: the credit waits
        s.rollback()
        following = {**world.plan, "id": str(uuid.uuid4()), "name": "Next",
                     "valid_from": (plan.valid_until + timedelta(days=1)).isoformat(),
                     "valid_until": (plan.valid_until + timedelta(days=366)).isoformat()}
        copies.keep_plan(s, following)
        s.commit()
        plan = s.get(Plan, world.plan["id"])
        summary = expiry.close_plan(s, plan)
        s.commit()
        assert summary["destination"] == "next_plan"
        assert ledger.balance(s, ledger.credit_account(employee, following["id"])) == 5_000
        assert ledger.balance(s, ledger.credit_account(employee, plan.id)) == 0


def test_employees_hear_14_and_3_days_before_and_only_once(make_world) -> None:
    world = make_world(fund_cents=1_000)
    (employee,) = world.employees
    world.grant(employee, 1_000)
    valid_until = date.fromisoformat(world.plan["valid_until"])
    with world.factory() as s:
        for days in (14, 3):
            today = valid_until - timedelta(days=days)
            assert expiry.announce_expiring(s, today) >= 1
            assert expiry.announce_expiring(s, today) == 0
            s.commit()
        notices = _events(s, "credits.expiring", world.company_id)
        assert sorted(n["days_left"] for n in notices) == [3, 14]
        assert all(n["amount_cents"] == 1_000 and n["employee_id"] == employee
                   for n in notices)


def test_plans_to_close_are_those_ended_and_not_yet_closed(make_world) -> None:
    world = make_world(fund_cents=100)
    with world.factory() as s:
        ended_after = date.fromisoformat(world.plan["valid_until"]) + timedelta(days=1)
        assert world.plan["id"] in [p.id for p in expiry.plans_to_close(s, ended_after)]
        assert world.plan["id"] not in [p.id for p in expiry.plans_to_close(s, date.today())]
        s.rollback()
