"""People leave (docs/ledger.md#expiry), on real PostgreSQL: a leaver's credit returns
to the company fund at once; they buy nothing more; a voucher they cancel (or that
expires, or a reimbursement HR rejects) after leaving gives its amount back to the
company fund, never to a plan credit they could spend again; the audit balances."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from wallet import expiry, ledger, reimbursements, vouchers
from wallet.models import Voucher
from wecare_common.errors import Forbidden


def _leave(world, employee: str) -> None:  # the wallet hears `employee.left`
    with world.factory() as s:
        expiry.leaver(s, employee, company_id=world.company_id, left_on=date.today())
        s.commit()


def _balances(world, employee: str) -> tuple[int, int]:
    with world.factory() as s:
        return (ledger.balance(s, ledger.fund_account(world.company_id)),
                ledger.balance(s, ledger.credit_account(employee, world.plan["id"])))


def test_a_leaver_buys_nothing_and_what_they_cancel_goes_to_the_company(make_world) -> None:
    world = make_world(fund_cents=10_000, price_cents=1_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    kept, cancelled, expiring = (world.purchase(employee, "education")[1] for _ in range(3))
    held = str(uuid.uuid4())
    with world.factory() as s:
        reimbursements.hold(s, reimbursement_id=held, employee_id=employee,
                            category="education", amount_cents=500, plan_id=None,
                            spent_on=date.today(), fringe_limit=lambda *_: 0)
        s.commit()
    assert _balances(world, employee) == (5_000, 1_500)

    _leave(world, employee)
    assert _balances(world, employee) == (6_500, 0)  # the unspent credit, at once
    with world.factory() as s, pytest.raises(Forbidden) as refused:
        vouchers.purchase(s, employee_id=employee, offering_id=world.offerings["education"],
                          plan_id=None, idempotency_key=str(uuid.uuid4()),
                          fringe_limit=lambda *_: 0)
    assert (refused.value.code, refused.value.params) == (
        "employee_left", {"left_on": date.today().isoformat()})
    with world.factory() as s, pytest.raises(Forbidden):
        reimbursements.hold(s, reimbursement_id=str(uuid.uuid4()), employee_id=employee,
                            category="education", amount_cents=100, plan_id=None,
                            spent_on=date.today(), fringe_limit=lambda *_: 0)

    with world.factory() as s:
        vouchers.cancel(s, employee_id=employee, voucher_id=cancelled["id"])
        s.commit()
    assert _balances(world, employee) == (7_500, 0)  # to the fund, not to their plan
    with world.factory() as s:
        # past the expiry and the default offline window (docs/offline.md)
        later = datetime.fromisoformat(expiring["expires_at"]) + timedelta(hours=48, seconds=1)
        s.execute(Voucher.__table__.update().where(Voucher.id != expiring["id"],
                                                   Voucher.employee_id == employee,
                                                   Voucher.status == "issued")
                  .values(expires_at=later + timedelta(days=1)))  # only this one expires
        while vouchers.expire_due(s, now=later):
            s.commit()
        reimbursements.release(s, held)
        s.commit()
        assert s.scalar(select(Voucher.status).where(Voucher.id == kept["id"])) == "issued"
        assert ledger.audit(s)["balanced"]
    assert _balances(world, employee) == (9_000, 0)


def test_a_retry_of_a_purchase_made_before_leaving_is_still_the_same_voucher(
        make_world) -> None:
    world = make_world(fund_cents=2_000, price_cents=1_000)
    (employee,) = world.employees
    world.grant(employee, 1_000)
    _, bought = world.purchase(employee, "education", key="before")
    _leave(world, employee)
    assert world.purchase(employee, "education", key="before") == ("ok", bought)
