"""The wallet's copy of a plan that changes (PATCH /plans/{id} in benefits): the
newest version wins, whatever order `plan.created`, `plan.changed` and the plan a
grant carries arrive in; what changed counts at once (a category added)."""

from __future__ import annotations

from datetime import date, timedelta

from wallet import copies
from wallet.models import Plan


def test_the_newest_version_of_a_plan_wins_in_any_order(make_world) -> None:
    world = make_world(fund_cents=10_000, categories=("education",), version=1)
    employee = world.employees[0]
    world.grant(employee, 5_000)
    assert world.purchase(employee, "wellbeing")[0] == "RuleViolation"
    later = (date.today() + timedelta(days=300)).isoformat()
    changed = {**world.plan, "categories": ["education", "wellbeing"], "valid_until": later,
               "version": 2}
    with world.factory() as s:
        copies.keep_plan(s, changed)
        s.commit()
    assert world.purchase(employee, "wellbeing")[0] == "ok"
    # a grant carrying the plan as it was read before the change, and plan.created
    # delivered late: neither undoes the change
    world.grant(employee, 1_000)  # world.plan is version 1
    with world.factory() as s:
        copies.keep_plan(s, world.plan)
        s.commit()
        copy = s.get(Plan, world.plan["id"])
        assert (copy.version, copy.categories) == (2, ["education", "wellbeing"])
        assert copy.valid_until.isoformat() == later
    # the next change is taken
    with world.factory() as s:
        copies.keep_plan(s, {**changed, "version": 3, "name": "Piano"})
        s.commit()
        assert s.get(Plan, world.plan["id"]).name == "Piano"
