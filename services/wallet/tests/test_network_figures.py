"""What a network sees of its members, from the ledger on real PostgreSQL
(docs/domain.md#what-a-network-sees): only what happened while each firm was a
member, in tables where no money figure describes fewer than five people, with no
person's id in them."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime

from wallet import network_figures
from wallet.small_cells import MIN_PEOPLE

YEAR = date.today().year
END = datetime(YEAR + 1, 1, 1, tzinfo=UTC)


def period(world, name: str, municipality: str, joined_at: datetime,
           left_at: datetime = END, current: bool = True) -> dict:
    return {"company_id": world.company_id, "name": name, "municipality": municipality,
            "province": "CN", "current": current, "joined_at": joined_at, "left_at": left_at}


def figures(world, periods: list[dict], shared: list[dict] | None = None) -> dict:
    with world.factory() as s:
        return network_figures.network_figures(s, periods, YEAR, shared or [])


def test_only_the_time_in_the_network_counts_and_small_cells_merge(make_world) -> None:
    big = make_world(fund_cents=1_000_000, employees=8, price_cents=1_000,
                     categories=("education", "wellbeing"))
    small = make_world(fund_cents=100_000, employees=3, price_cents=2_000,
                       categories=("education",))
    # before the big firm joined: its own business, never counted
    before = big.employees[0]
    big.grant(before, 50_000)
    assert big.purchase(before, "education")[0] == "ok"
    time.sleep(0.01)
    joined = datetime.now(UTC)
    for employee in big.employees:
        big.grant(employee, 10_000)
        assert big.purchase(employee, "education")[0] == "ok"
    for employee in small.employees:
        small.grant(employee, 10_000)
        assert small.purchase(employee, "education")[0] == "ok"
    assert big.purchase(big.employees[1], "wellbeing")[0] == "ok"  # one person: a small cell
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    seen = figures(big, [period(big, "Grande", "Alba", joined),
                         period(small, "Piccola", "Bra", start)])
    assert seen["firms"] == 2 and seen["employees_covered"] == 11
    totals = seen["totals"]
    assert totals["people"] == 11
    assert totals["granted_cents"] == 11 * 10_000  # not the 50.000 granted before
    assert totals["spent_cents"] == 8 * 1_000 + 1_000 + 3 * 2_000
    # by category: education (11 people) shown; wellbeing (1 person) alone would be
    # "other" itself, so the smallest row shown joins it … and there is only one
    by_category = seen["by_category"]
    assert all(r["people"] >= MIN_PEOPLE for r in by_category["rows"])
    if by_category["other"]:
        assert by_category["other"]["people"] >= MIN_PEOPLE
    # by member: the big firm (8) named; the small one (3) only inside "other" … which
    # would then be the small firm alone: the big one joins it, and no firm is named
    by_member = seen["by_member"]
    assert by_member["rows"] == [] and by_member["other"]["people"] == 11
    # by municipality: the same; the firms are counted, not named
    assert seen["by_municipality"]["other"]["firms"] == 2
    assert seen["fund_cents"] == (1_000_000 - 50_000 - 80_000) + (100_000 - 30_000)
    text = json.dumps(seen, default=str)
    for person in big.employees + small.employees:
        assert person not in text  # no person's id anywhere


def test_a_firm_that_left_is_counted_until_it_left(make_world) -> None:
    world = make_world(fund_cents=500_000, employees=6, price_cents=1_000)
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    for employee in world.employees:
        world.grant(employee, 5_000)
    time.sleep(0.01)
    left = datetime.now(UTC)
    time.sleep(0.01)
    for employee in world.employees:  # after leaving: not the network's
        assert world.purchase(employee, "education")[0] == "ok"
    seen = figures(world, [period(world, "Uscita", "Alba", start, left, current=False)])
    assert seen["totals"]["granted_cents"] == 30_000 and seen["totals"]["spent_cents"] == 0
    assert seen["current_firms"] == 0 and seen["fund_cents"] == 0


def test_fewer_than_five_people_in_all_withholds_every_figure(make_world) -> None:
    world = make_world(fund_cents=100_000, employees=4, price_cents=1_000)
    for employee in world.employees:
        world.grant(employee, 5_000)
        assert world.purchase(employee, "education")[0] == "ok"
    seen = figures(world, [period(world, "Micro", "Alba",
                                  datetime(YEAR, 1, 1, tzinfo=UTC))])
    assert seen["withheld"] and seen["totals"] is None
    for name in ("by_category", "by_month", "by_municipality", "by_member", "by_provider",
                 "by_shared_plan"):
        assert seen[name]["withheld"] and seen[name]["rows"] == [], name
    assert seen["employees_covered"] == 4  # a head count, no money


def test_shared_plans_are_seen_in_totals(make_world) -> None:
    world = make_world(fund_cents=500_000, employees=6, price_cents=1_000)
    template = str(uuid.uuid4())
    for employee in world.employees:
        world.grant(employee, 5_000)
        assert world.purchase(employee, "education")[0] == "ok"
    seen = figures(world, [period(world, "Uno", "Alba", datetime(YEAR, 1, 1, tzinfo=UTC))],
                   [{"plan_id": world.plan["id"], "template_id": template,
                     "company_id": world.company_id}])
    (row,) = seen["by_shared_plan"]["rows"]
    assert (row["key"], row["people"], row["granted_cents"], row["spent_cents"]) == (
        template, 6, 30_000, 6_000)
    # everything happened this month: one row, the others have nobody
    month = seen["by_month"]["rows"]
    assert [r["key"] for r in month] == [f"{datetime.now(UTC).month:02d}"]
