"""HR's dashboard from the ledger, on real PostgreSQL: the fund, a year's
top-ups, grants and spending by category and by month, the credit still held
plan by plan with the day each ends; and the company's own top-ups."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from wallet import dashboard, funding, reimbursements


def _limit(employee_id: str, year: int) -> int:
    return 100_000


def test_the_year_s_figures_add_up_from_the_ledger(make_world) -> None:
    world = make_world(fund_cents=50_000, employees=2, price_cents=2_000,
                       categories=("education", "wellbeing"))
    anna, luca = world.employees
    world.grant(anna, 10_000)
    world.grant(luca, 5_000)
    assert world.purchase(anna, "education")[0] == "ok"
    assert world.purchase(luca, "wellbeing")[0] == "ok"
    refund = str(uuid.uuid4())
    with world.factory() as s:
        reimbursements.hold(s, reimbursement_id=refund, employee_id=anna,
                            category="education", amount_cents=1_500, plan_id=None,
                            spent_on=date.today(), fringe_limit=_limit)
        reimbursements.pay(s, refund)
        s.commit()
    year, month = date.today().year, datetime.now(UTC).month
    with world.factory() as s:
        figures = dashboard.company_dashboard(s, world.company_id, year)
    assert figures["fund_balance_cents"] == 35_000
    assert (figures["topped_up_cents"], figures["granted_cents"]) == (50_000, 15_000)
    assert figures["spent_cents"] == 2_000 + 2_000 + 1_500
    assert figures["by_category"] == [{"category": "education", "spent_cents": 3_500},
                                      {"category": "wellbeing", "spent_cents": 2_000}]
    this_month = figures["by_month"][month - 1]
    assert (this_month["month"], this_month["granted_cents"], this_month["spent_cents"]) == (
        month, 15_000, 5_500)
    assert sum(m["spent_cents"] for m in figures["by_month"]) == 5_500
    (plan,) = figures["plans"]
    assert plan["plan_id"] == world.plan["id"] and plan["employees"] == 2
    assert plan["amount_cents"] == figures["outstanding_cents"] == 15_000 - 5_500
    assert plan["valid_until"] == world.plan["valid_until"]
    # the plan ends in 60 days: within the dashboard's window
    assert plan["expiring"] and figures["expiring_cents"] == plan["amount_cents"]
    with world.factory() as s:
        last_year = dashboard.company_dashboard(s, world.company_id, year - 1)
    assert (last_year["granted_cents"], last_year["spent_cents"]) == (0, 0)
    assert last_year["fund_balance_cents"] == 35_000  # the fund is now's, whatever the year


def test_a_plan_ending_later_is_held_but_not_expiring(make_world) -> None:
    far = (date.today() + timedelta(days=200)).isoformat()
    world = make_world(fund_cents=10_000, valid_until=far)
    world.grant(world.employees[0], 4_000)
    with world.factory() as s:
        figures = dashboard.company_dashboard(s, world.company_id, date.today().year)
    assert figures["outstanding_cents"] == 4_000 and figures["expiring_cents"] == 0
    assert figures["plans"][0]["valid_until"] == far


def test_a_company_s_top_ups_newest_first_with_the_reference_and_where_to_pay(
        make_world) -> None:
    world = make_world(fund_cents=1)
    with world.factory() as s:
        made = [funding.request_topup(s, company_id=world.company_id, amount_cents=cents,
                                      method="bank_transfer",
                                      idempotency_key=uuid.uuid4().hex)
                for cents in (1_000, 2_000, 3_000)]
        funding.confirm_topup(s, made[0]["id"])
        s.commit()
    with world.factory() as s:
        first = dashboard.company_topups(s, world.company_id, limit=2)
        rest = dashboard.company_topups(s, world.company_id, limit=2,
                                        cursor=first["next_cursor"])
        other = dashboard.company_topups(s, str(uuid.uuid4()), limit=10)
    listed = first["items"] + rest["items"]
    assert [t["amount_cents"] for t in listed] == [3_000, 2_000, 1_000]
    assert rest["next_cursor"] is None and other["items"] == []
    assert [t["status"] for t in listed] == ["pending", "pending", "succeeded"]
    assert all(t["bank_reference"].startswith("WC-") for t in listed)
    assert listed[0]["pay_to"]["iban"].startswith("IT")
