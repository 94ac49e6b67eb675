"""Networks of firms in memory (docs/domain.md#networks): created with a valid tax
code and a territory; firms invited and joining by their HR manager's answer, one
network at a time, leaving when they want; what the network may count (each firm's
time in it); shared plans adopted once, as each firm's own plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from benefits import network_reports, networks, shared_plans
from benefits.models import Membership, Plan
from benefits.schemas import (
    MemberInvitation,
    MemberOnboarding,
    NetworkRequest,
    SharedPlanRequest,
)
from sqlalchemy import select
from wecare_common.contract import events
from wecare_common.errors import Conflict, InvalidInput, NotFound, RuleViolation
from wecare_common.schemas import load

TODAY = date.today()


class Net:
    """A network's staff and the firms' HR managers, on one in-memory session."""

    def __init__(self, hr) -> None:
        self.hr = hr
        self.session = hr.session

    def create(self, **changes: Any) -> dict[str, Any]:
        return self.hr.request(lambda: networks.create_network(self.session, load(
            NetworkRequest, {"name": "CNA Cuneo", "kind": "association",
                             "tax_id": self.hr.fake.vat_number(),
                             "territory": {"provinces": ["cn"],
                                           "municipalities": ["Alba"]}, **changes})))

    def invite(self, network_id: str, vat_number: str, **seat: Any) -> dict[str, Any]:
        return self.hr.request(lambda: networks.invite_company(self.session, network_id, load(
            MemberInvitation, {"vat_number": vat_number, "municipality": "Alba",
                               "province": "CN", **seat})))

    def answer(self, company_id: str, membership_id: str, accept: bool = True
               ) -> dict[str, Any]:
        return self.hr.request(lambda: networks.answer_invitation(
            self.session, company_id, membership_id, accept))

    def join(self, network_id: str, company: dict[str, Any]) -> dict[str, Any]:
        invitation = self.invite(network_id, company["vat_number"])
        return self.answer(company["id"], invitation["id"])

    def template(self, network_id: str, **changes: Any) -> dict[str, Any]:
        return self.hr.request(lambda: shared_plans.propose(self.session, network_id, load(
            SharedPlanRequest, {"name": "Welfare di rete", "fiscal_year": TODAY.year,
                                "valid_from": TODAY.isoformat(),
                                "valid_until": (TODAY + timedelta(days=90)).isoformat(),
                                "categories": ["education", "wellbeing"],
                                "leftover_policy": "return_to_fund",
                                "amount_per_employee_cents": 30_000, **changes})))


@pytest.fixture
def net(hr) -> Net:
    return Net(hr)


def company(hr) -> dict[str, Any]:
    return hr.company()


# -- networks -----------------------------------------------------------------------------
def test_a_network_has_a_valid_tax_code_a_territory_and_an_address(net) -> None:
    network = net.create(name="CNA Cuneo – Alba & Bra")
    assert network["slug"] == "cna-cuneo-alba-bra"
    assert network["territory"] == {"provinces": ["CN"], "municipalities": ["Alba"]}
    again = net.create(name="CNA Cuneo – Alba & Bra")
    assert again["slug"] == "cna-cuneo-alba-bra-2"


@pytest.mark.parametrize(("changes", "field"), [
    ({"tax_id": "12345678901"}, "tax_id"),          # the check digit is wrong
    ({"kind": "club"}, "kind"),
    ({"territory": {}}, "territory"),                # nowhere
    ({"territory": {"provinces": ["Cuneo"]}}, "territory"),
])
def test_a_bad_network_is_refused_naming_the_field(net, changes, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        net.create(**changes)
    assert field in refused.value.fields


def test_an_association_s_numeric_tax_code_is_accepted_and_unique(net) -> None:
    network = net.create(tax_id="97012340044")  # an association's 11-digit codice fiscale
    with pytest.raises(Conflict) as refused:
        net.create(tax_id=network["tax_id"])
    assert refused.value.code == "network_tax_id_taken" and "tax_id" in refused.value.fields


def test_a_network_signed_up_again_with_its_key_is_the_same_one(net, fake) -> None:
    data = load(NetworkRequest, {"name": "Rete", "kind": "consortium",
                                 "tax_id": fake.vat_number(),
                                 "territory": {"municipalities": ["Bra"]}})
    first = networks.create_network(net.session, data, idempotency_key="k1")
    again = networks.create_network(net.session, data, idempotency_key="k1")
    assert first == again


# -- members ------------------------------------------------------------------------------
def test_a_firm_joins_when_its_hr_manager_accepts(net) -> None:
    network = net.create()
    firm = company(net.hr)
    invitation = net.invite(network["id"], firm["vat_number"], municipality="  alba ")
    assert invitation["status"] == "invited" and invitation["municipality"] == "alba"
    assert net.hr.events(events.NETWORK_MEMBER_INVITED)[-1]["company_id"] == firm["id"]
    assert networks.company_network(net.session, firm["id"])["invitations"][0]["id"] == (
        invitation["id"])
    joined = net.answer(firm["id"], invitation["id"])
    assert joined["status"] == "active" and joined["joined_at"]
    [event] = net.hr.events(events.NETWORK_MEMBER_JOINED)
    assert (event["payload"]["network_id"], event["company_id"]) == (network["id"], firm["id"])
    assert networks.company_network(net.session, firm["id"])["membership"]["id"] == (
        invitation["id"])


def test_an_unknown_vat_number_is_to_be_onboarded(net, fake) -> None:
    network = net.create()
    with pytest.raises(NotFound) as refused:
        net.invite(network["id"], fake.vat_number())
    assert refused.value.code == "company_not_in_wecare"
    assert "vat_number" in refused.value.fields


def test_a_firm_is_invited_once_and_a_member_once(net) -> None:
    network = net.create()
    firm = company(net.hr)
    invitation = net.invite(network["id"], firm["vat_number"])
    with pytest.raises(Conflict) as twice:
        net.invite(network["id"], firm["vat_number"])
    assert twice.value.code == "already_invited"
    net.answer(firm["id"], invitation["id"])
    with pytest.raises(Conflict) as refused:
        net.invite(network["id"], firm["vat_number"])
    assert refused.value.code == "already_a_member" and "vat_number" in refused.value.fields


def test_a_firm_is_in_one_network_at_a_time(net) -> None:
    first, second = net.create(), net.create()
    firm = company(net.hr)
    net.join(first["id"], firm)
    invitation = net.invite(second["id"], firm["vat_number"])  # may be invited
    with pytest.raises(RuleViolation) as refused:
        net.answer(firm["id"], invitation["id"])
    assert refused.value.code == "one_network_at_a_time"
    assert "membership_id" in refused.value.fields
    assert net.session.get(Membership, _seq(net, invitation["id"])).status == "invited"
    net.hr.request(lambda: networks.leave(net.session, firm["id"]))
    assert net.answer(firm["id"], invitation["id"])["status"] == "active"
    assert [e["type"] for e in net.hr.events() if e["type"].startswith("network.member_j")
            or e["type"] == events.NETWORK_MEMBER_LEFT] == [
        events.NETWORK_MEMBER_JOINED, events.NETWORK_MEMBER_LEFT, events.NETWORK_MEMBER_JOINED]


def _seq(net, membership_id: str) -> int:
    return net.session.scalar(select(Membership.seq).where(Membership.id == membership_id))


def test_the_database_holds_one_network_at_a_time_too(net) -> None:
    """Two acceptances racing past the check: the partial unique index refuses one."""
    first, second = net.create(), net.create()
    firm = company(net.hr)
    net.join(first["id"], firm)
    invitation = net.invite(second["id"], firm["vat_number"])
    row = net.session.get(Membership, _seq(net, invitation["id"]))
    row.status = "active"
    with pytest.raises(Exception, match="UNIQUE|unique"):
        net.session.flush()
    net.session.rollback()


def test_declining_and_answers_only_for_one_s_own_firm(net) -> None:
    network = net.create()
    firm, other = company(net.hr), company(net.hr)
    invitation = net.invite(network["id"], firm["vat_number"])
    with pytest.raises(NotFound):
        net.answer(other["id"], invitation["id"])  # another firm's invitation
    assert net.answer(firm["id"], invitation["id"], accept=False)["status"] == "declined"
    with pytest.raises(Conflict):
        net.answer(firm["id"], invitation["id"])
    assert not net.hr.events(events.NETWORK_MEMBER_JOINED)


def test_a_firm_not_in_a_network_cannot_leave_one(net) -> None:
    with pytest.raises(Conflict):
        networks.leave(net.session, company(net.hr)["id"])


def test_onboarding_makes_the_firm_and_its_invitation_once(net, fake) -> None:
    network = net.create()
    data = load(MemberOnboarding, {
        "name": "Nuova Srl", "vat_number": fake.vat_number(), "municipality": "Bra",
        "province": "CN", "hr_manager": {"email": fake.email(), "first_name": "A",
                                         "last_name": "B"}})
    first = networks.onboard_company(net.session, network["id"], data, idempotency_key="s1")
    net.session.commit()
    again = networks.onboard_company(net.session, network["id"], data, idempotency_key="s1")
    net.session.commit()
    assert first == again
    [member] = networks.members(net.session, network["id"])["items"]
    assert (member["company_id"], member["status"], member["municipality"]) == (
        first["id"], "invited", "Bra")


def test_the_network_counts_only_each_firm_s_time_in_it(net) -> None:
    network = net.create()
    stays, leaves, never = company(net.hr), company(net.hr), company(net.hr)
    net.join(network["id"], stays)
    net.join(network["id"], leaves)
    net.hr.request(lambda: networks.leave(net.session, leaves["id"]))
    net.invite(network["id"], never["vat_number"])  # invited, never joined: not counted
    year = TODAY.year
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    periods = {p["company_id"]: p for p in networks.membership_periods(
        net.session, network["id"], start, end)}
    assert set(periods) == {stays["id"], leaves["id"]}
    assert periods[stays["id"]]["current"] and periods[stays["id"]]["left_at"] == (
        end.isoformat())
    assert not periods[leaves["id"]]["current"]
    assert periods[leaves["id"]]["left_at"] < end.isoformat()
    last_year = networks.membership_periods(net.session, network["id"],
                                            datetime(year - 1, 1, 1, tzinfo=UTC), start)
    assert last_year == []  # before joining: the firms' own


# -- shared plans ---------------------------------------------------------------------------
def test_a_member_adopts_a_shared_plan_once_as_its_own_plan(net) -> None:
    network = net.create()
    firm = company(net.hr)
    net.join(network["id"], firm)
    template = net.template(network["id"])
    offered = shared_plans.for_company(net.session, firm["id"])
    assert [t["id"] for t in offered["items"]] == [template["id"]]
    assert offered["items"][0]["plan_id"] is None
    plan = net.hr.request(lambda: shared_plans.adopt(net.session, firm["id"], template["id"]))
    assert plan["company_id"] == firm["id"] and plan["template_id"] == template["id"]
    assert plan["per_employee_budget_cents"] == 30_000
    assert plan["categories"] == ["education", "wellbeing"]
    assert net.hr.events(events.PLAN_CREATED)[-1]["payload"]["id"] == plan["id"]
    with pytest.raises(Conflict) as again:
        shared_plans.adopt(net.session, firm["id"], template["id"])
    assert again.value.code == "shared_plan_adopted"
    seen = shared_plans.of_network(net.session, network["id"])["items"][0]["adopted_by"]
    assert [(a["company_id"], a["plan_id"]) for a in seen] == [(firm["id"], plan["id"])]


def test_two_members_adopting_get_two_plans_of_their_own(net) -> None:
    network = net.create()
    a, b = company(net.hr), company(net.hr)
    for firm in (a, b):
        net.join(network["id"], firm)
    template = net.template(network["id"])
    plans = [net.hr.request(lambda f=f: shared_plans.adopt(net.session, f["id"],
                                                           template["id"])) for f in (a, b)]
    assert plans[0]["id"] != plans[1]["id"]
    assert [p["company_id"] for p in plans] == [a["id"], b["id"]]
    rows = net.session.scalars(select(Plan).where(Plan.template_id == template["id"])).all()
    assert {p.company_id for p in rows} == {a["id"], b["id"]}


def test_only_members_adopt_and_not_a_withdrawn_plan(net) -> None:
    network, other = net.create(), net.create()
    member, outsider, elsewhere = company(net.hr), company(net.hr), company(net.hr)
    net.join(network["id"], member)
    net.join(other["id"], elsewhere)
    template = net.template(network["id"])
    for firm in (outsider, elsewhere):
        with pytest.raises(NotFound):
            shared_plans.adopt(net.session, firm["id"], template["id"])
        assert shared_plans.for_company(net.session, firm["id"])["items"] == [] or (
            firm is elsewhere)
    assert shared_plans.for_company(net.session, elsewhere["id"])["items"] == []
    net.hr.request(lambda: shared_plans.withdraw(net.session, network["id"], template["id"]))
    with pytest.raises(Conflict) as withdrawn:
        shared_plans.adopt(net.session, member["id"], template["id"])
    assert withdrawn.value.code == "shared_plan_withdrawn"
    with pytest.raises(NotFound):  # another network's staff: not theirs to withdraw
        shared_plans.withdraw(net.session, other["id"], template["id"])


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount_per_employee_cents": 0}, "amount_per_employee_cents"),
    ({"valid_until": (TODAY - timedelta(days=1)).isoformat()}, "valid_until"),
    ({"categories": []}, "categories"),
    ({"per_employee_budget_cents": 100}, "per_employee_budget_cents"),  # the amount says it
])
def test_a_shared_plan_is_refused_naming_the_field(net, changes, field) -> None:
    network = net.create()
    with pytest.raises(InvalidInput) as refused:
        net.template(network["id"], **changes)
    assert field in refused.value.fields


# -- the report ------------------------------------------------------------------------------
def test_the_csv_keeps_a_formula_as_text(net, fake) -> None:
    network = net.create(name="=HYPERLINK(\"http://x\")")
    firm = net.hr.company(name="+SUM(A1:A9)")
    net.join(network["id"], firm)

    def figures(**query: Any) -> dict[str, Any]:
        empty = {"rows": [], "other": None, "total": None, "withheld": True}
        return {"year": query["year"], "firms": 1, "current_firms": 1,
                "employees_covered": 0, "fund_cents": 0, "totals": None, "withheld": True,
                **{name: dict(empty) for name in network_reports.TABLES}}

    doc = network_reports.report(net.session, network["id"], TODAY.year, figures)
    text = network_reports.as_csv(doc)
    assert "'=HYPERLINK" in text and "'+SUM(A1:A9)" in text
    assert ";=" not in text and ";+" not in text
