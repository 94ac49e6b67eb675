"""Networks of firms through the whole system (docs/domain.md#networks): an operator
creates a network; its staff invites two firms (one in WeCare already, one brought in
and invited by email); both HR managers accept; the staff approves a provider of its
territory and proposes a price the provider accepts, and a shared plan both firms
adopt and fund from their own funds; an employee of each buys at the agreed price;
the network sees totals and no names. And who sees what: the staff of another network
nothing, a member's HR nothing of the other members."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from support.e2e import (
    Company,
    add_employee,
    approved_provider,
    buy,
    buy_at,
    create_network,
    fund_company,
    join_network,
    wait_for_price,
)

TODAY = date.today()
TORINO = {"city": "Torino", "province": "TO"}


def new_company(stack, admin, fake, name: str = "Rete Srl") -> Company:
    email = fake.email("hr")
    r = stack.call("POST", "/companies", admin, json={
        "name": name, "vat_number": fake.vat_number(),
        "hr_manager": {"email": email, "first_name": "Giulia", "last_name": "Neri",
                       "password": "hr-password-123"}})
    assert r.status_code == 201, r.text
    return Company(r.json()["id"], stack.token(email, "hr-password-123"), email)


def link_token(stack, email: str) -> str:
    mail = stack.smtp.wait_for(lambda m: m["To"] == email and "invitato" in m["Subject"])[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return text.split("/password/new?token=", 1)[1].split()[0]


def shared_plan_body(**extra) -> dict:
    return {"name": "Welfare di rete", "fiscal_year": TODAY.year,
            "valid_from": (TODAY - timedelta(days=1)).isoformat(),
            "valid_until": (TODAY + timedelta(days=90)).isoformat(),
            "categories": ["education", "wellbeing"], "leftover_policy": "return_to_fund",
            "amount_per_employee_cents": 30_000, **extra}


def test_two_firms_share_a_plan_and_buy_at_the_network_s_price(stack, admin, fake) -> None:
    network = create_network(stack, admin, fake, name="CNA Torino Test")
    # one firm already in WeCare, invited by VAT number
    alfa = new_company(stack, admin, fake, "Alfa Srl")
    vat = stack.call("GET", f"/companies/{alfa.id}", alfa.hr).json()["vat_number"]
    r = stack.call("POST", f"/networks/{network.id}/invitations", network.token, json={
        "vat_number": vat, "municipality": "Torino", "province": "TO"})
    assert r.status_code == 201 and r.json()["status"] == "invited", r.text
    # one brought in by the network: its HR manager gets an invitation email
    beta_hr = fake.email("beta-hr")
    r = stack.call("POST", f"/networks/{network.id}/companies", network.token, json={
        "name": "Beta Snc", "vat_number": fake.vat_number(), "municipality": "Chieri",
        "province": "to", "hr_manager": {"email": beta_hr, "first_name": "Bea",
                                         "last_name": "Bianchi"}})
    assert r.status_code == 201, r.text
    beta_id = r.json()["id"]
    signed = stack.call("POST", "/auth/password", json={"token": link_token(stack, beta_hr),
                                                        "password": "beta-password-1"})
    assert signed.status_code == 200 and signed.json()["role"] == "hr"
    beta = Company(beta_id, signed.json()["access_token"], beta_hr)
    # both HR managers see the invitation and accept
    for firm in (alfa, beta):
        mine = stack.call("GET", f"/companies/{firm.id}/network", firm.hr).json()
        assert mine["membership"] is None
        (invitation,) = mine["invitations"]
        assert invitation["network"]["name"] == "CNA Torino Test"
        r = stack.call("POST", f"/companies/{firm.id}/network-invitations/"
                       f"{invitation['id']}/answer", firm.hr, json={"accept": True})
        assert r.status_code == 200 and r.json()["status"] == "active", r.text
    members = stack.call("GET", f"/networks/{network.id}/members", network.token).json()
    assert {m["company_id"]: m["status"] for m in members["items"]} == {
        alfa.id: "active", beta.id: "active"}

    # the circuit: a provider of the territory approved by the network, a price agreed
    provider = approved_provider(stack, admin, fake, price_cents=10_000, **TORINO)
    r = stack.call("POST", f"/networks/{network.id}/providers/{provider.id}/approval",
                   network.token, json={"approved": True})
    assert r.status_code == 200 and r.json()["network_status"] == "approved", r.text
    r = stack.call("POST", f"/networks/{network.id}/agreements", network.token,
                   json={"offering_id": provider.offering_id, "discount_bps": 1_500})
    assert r.status_code == 201 and r.json()["status"] == "proposed", r.text
    agreement = r.json()
    assert agreement["agreed_price_cents"] == 8_500
    r = stack.call("POST", f"/providers/{provider.id}/agreements/{agreement['id']}/answer",
                   provider.token, json={"accept": True})
    assert r.status_code == 200 and r.json()["status"] == "active", r.text

    # the shared plan, adopted by both with one action each, funded by each
    r = stack.call("POST", f"/networks/{network.id}/shared-plans", network.token,
                   json=shared_plan_body())
    assert r.status_code == 201, r.text
    template = r.json()
    people = {}
    for firm in (alfa, beta):
        offered = stack.call("GET", f"/companies/{firm.id}/shared-plans", firm.hr).json()
        assert [t["id"] for t in offered["items"]] == [template["id"]]
        r = stack.call("POST", f"/companies/{firm.id}/shared-plans/{template['id']}/adoption",
                       firm.hr)
        assert r.status_code == 201 and r.json()["company_id"] == firm.id, r.text
        plan = r.json()
        assert plan["per_employee_budget_cents"] == 30_000
        again = stack.call("POST", f"/companies/{firm.id}/shared-plans/{template['id']}/"
                           "adoption", firm.hr)
        assert again.status_code == 409
        fund_company(stack, admin, firm, 100_000)
        employee = add_employee(stack, firm, fake)
        r = stack.call("POST", f"/plans/{plan['id']}/grants", firm.hr, key=uuid.uuid4().hex,
                       json={"amount_cents": 30_000, "all": True})
        assert r.status_code == 201, r.text
        people[firm.id] = (employee, stack.token(employee["email"], employee["password"]),
                           plan)
    adopted = stack.call("GET", f"/networks/{network.id}/shared-plans", network.token).json()
    assert {a["company_id"] for a in adopted["items"][0]["adopted_by"]} == {alfa.id, beta.id}

    # an employee of each buys at the agreed price, from their own firm's plan
    for firm in (alfa, beta):
        employee, token, plan = people[firm.id]
        wait_for_price(stack, token, provider.offering_id, 8_500)
        hits = stack.call("GET", "/offerings", token, params={"category": "education"}).json()
        hit = next(h for h in hits["items"] if h["id"] == provider.offering_id)
        assert hit["network_offer"]["network_name"] == "CNA Torino Test"
        assert hit["price_cents"] == 10_000 and hit["network_offer"]["price_cents"] == 8_500
        r = buy_at(stack, token, provider.offering_id, 8_500)
        assert r.status_code == 201, r.text
        voucher = r.json()
        assert (voucher["amount_cents"], voucher["list_price_cents"]) == (8_500, 10_000)
        assert voucher["plan_id"] == plan["id"]
        wallet = stack.call("GET", "/me/wallet", token).json()
        assert sum(p["balance_cents"] for p in wallet["plans"]) == 30_000 - 8_500
    # never another firm's money: alfa's employee naming beta's plan is refused
    _, alfa_token, _ = people[alfa.id]
    _, _, beta_plan = people[beta.id]
    r = buy(stack, alfa_token, provider.offering_id, plan_id=beta_plan["id"])
    assert r.status_code == 404 and "plan_id" in r.json()["error"]["fields"]
    for firm in (alfa, beta):
        assert stack.call("GET", f"/companies/{firm.id}", firm.hr).json()[
            "fund_balance_cents"] == 100_000 - 30_000
    audit = stack.call("GET", "/ledger/audit", admin).json()
    assert audit["balanced"], audit

    # an employee of a firm outside the network pays the offering's own price
    outsider = new_company(stack, admin, fake, "Fuori Srl")
    fund_company(stack, admin, outsider, 20_000)
    from support.e2e import create_plan
    own_plan = create_plan(stack, outsider)
    stranger = add_employee(stack, outsider, fake)
    stack.call("POST", f"/plans/{own_plan['id']}/grants", outsider.hr, key=uuid.uuid4().hex,
               json={"amount_cents": 20_000, "all": True})
    stranger_token = stack.token(stranger["email"], stranger["password"])
    detail = stack.call("GET", f"/offerings/{provider.offering_id}", stranger_token).json()
    assert detail["network_offer"] is None
    r = buy(stack, stranger_token, provider.offering_id, expected_price_cents=8_500)
    assert r.status_code == 422 and r.json()["error"]["code"] == "price_changed"
    assert r.json()["error"]["params"] == {"price_cents": 10_000}

    # what the network sees: totals, and no person
    board = stack.call("GET", f"/networks/{network.id}/dashboard", network.token).json()
    assert board["firms"] == 2 and board["employees_covered"] == 2
    assert board["withheld"] and board["totals"] is None  # two people: fewer than five
    report = stack.call("GET", f"/networks/{network.id}/reports/yearly", network.token,
                        params={"year": TODAY.year}).json()
    assert {f["name"] for f in report["member_firms"]} == {"Alfa Srl", "Beta Snc"}
    text = json.dumps([board, report])
    for employee, _, _ in people.values():
        for secret in (employee["id"], employee["fiscal_code"], employee["email"]):
            assert secret not in text
    csv = stack.call("GET", f"/networks/{network.id}/reports/yearly", network.token,
                     params={"year": TODAY.year, "format": "csv"})
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "Alfa Srl" in csv.text and "withheld" in csv.text

    # the circuit, open to the territory: no sign-in
    answer = stack.call("GET", f"/networks/{network.slug}/circuit")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"  # open data, any site
    circuit = answer.json()
    assert circuit["network"]["name"] == "CNA Torino Test"
    (entry,) = circuit["items"]
    assert entry["id"] == provider.id and entry["offers"][0]["agreed_price_cents"] == 8_500
    assert "email" not in entry and "iban" not in entry

    # leaving: the next purchase is at the offering's own price
    beta_employee, beta_token, _ = people[beta.id]
    r = stack.call("POST", f"/companies/{beta.id}/network/departure", beta.hr)
    assert r.status_code == 200 and r.json()["status"] == "left"
    wait_for_price(stack, beta_token, provider.offering_id, 10_000)
    r = buy_at(stack, beta_token, provider.offering_id, 10_000)
    assert r.status_code == 201 and r.json()["amount_cents"] == 10_000, r.text


def test_a_firm_is_in_one_network_at_a_time(stack, admin, fake) -> None:
    first = create_network(stack, admin, fake, name="Prima")
    second = create_network(stack, admin, fake, name="Seconda")
    firm = new_company(stack, admin, fake)
    join_network(stack, first, firm)
    vat = stack.call("GET", f"/companies/{firm.id}", firm.hr).json()["vat_number"]
    invitation = stack.call("POST", f"/networks/{second.id}/invitations", second.token, json={
        "vat_number": vat, "municipality": "Torino", "province": "TO"}).json()
    r = stack.call("POST", f"/companies/{firm.id}/network-invitations/{invitation['id']}/"
                   "answer", firm.hr, json={"accept": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "one_network_at_a_time"


@pytest.fixture(scope="module")
def two_networks(stack, admin, fake):  # type: ignore[no-untyped-def]
    """Network A with two members, network B with one, and a firm in none."""
    a, b = (create_network(stack, admin, fake, name=n) for n in ("Rete A", "Rete B"))
    a1, a2, b1, outside = (new_company(stack, admin, fake, n)
                           for n in ("A uno", "A due", "B uno", "Fuori"))
    memberships = {c.id: join_network(stack, net, c) for net, c in
                   ((a, a1), (a, a2), (b, b1))}
    template = stack.call("POST", f"/networks/{a.id}/shared-plans", a.token,
                          json=shared_plan_body()).json()
    provider = approved_provider(stack, admin, fake, price_cents=5_000, **TORINO)
    stack.call("POST", f"/networks/{a.id}/providers/{provider.id}/approval", a.token,
               json={"approved": True})
    agreement = stack.call("POST", f"/networks/{a.id}/agreements", a.token, json={
        "offering_id": provider.offering_id, "price_cents": 4_000}).json()
    return {"a": a, "b": b, "a1": a1, "a2": a2, "b1": b1, "outside": outside,
            "memberships": memberships, "template": template, "provider": provider,
            "agreement": agreement}


NETWORK_PATHS = [
    ("GET", "/networks/{nid}", None), ("GET", "/networks/{nid}/members", None),
    ("GET", "/networks/{nid}/dashboard", None), ("GET", "/networks/{nid}/shared-plans", None),
    ("GET", "/networks/{nid}/providers", None), ("GET", "/networks/{nid}/agreements", None),
    ("GET", "/networks/{nid}/reports/yearly?year=2026", None),
    ("POST", "/networks/{nid}/invitations", {"vat_number": "{vat}", "municipality": "Bra",
                                              "province": "CN"}),
    ("POST", "/networks/{nid}/shared-plans", shared_plan_body()),
    ("POST", "/networks/{nid}/agreements", {"offering_id": "{oid}", "price_cents": 100}),
    ("POST", "/networks/{nid}/staff-invitations", {
        "email": "intruso@example.test", "first_name": "I", "last_name": "N"}),
    ("POST", "/networks/{nid}/companies", {
        "name": "X", "vat_number": "{vat}", "municipality": "Bra", "province": "CN",
        "hr_manager": {"email": "x-hr@example.test", "first_name": "X", "last_name": "Y"}}),
    ("POST", "/networks/{nid}/providers/{vid}/approval", {"approved": False}),
    ("POST", "/networks/{nid}/shared-plans/{spid}/withdrawal", None),
    ("POST", "/networks/{nid}/agreements/{aid}/ending", None),
    ("POST", "/networks/{nid}/invitations/{mid}/withdrawal", None),
]


@pytest.mark.parametrize(("method", "path", "body"), NETWORK_PATHS)
def test_the_staff_of_another_network_sees_nothing(stack, two_networks, fake, method, path,
                                                   body) -> None:
    """Every path of network A, with a valid request, by the staff of network B: 404,
    and nothing changed (the invitation, the plan, the agreement are still there)."""
    w = two_networks
    ids = {"nid": w["a"].id, "vid": w["provider"].id, "spid": w["template"]["id"],
           "aid": w["agreement"]["id"], "mid": w["memberships"][w["a1"].id]["id"],
           "oid": w["provider"].offering_id, "vat": fake.vat_number()}
    url = path.format(**ids)
    if body is not None:
        body = json.loads(json.dumps(body).replace("{vat}", ids["vat"]).replace(
            "{oid}", ids["oid"]))
    r = stack.call(method, url, w["b"].token, json=body)
    assert r.status_code == 404, (method, url, r.status_code, r.text)
    assert "Rete A" not in r.text and "A uno" not in r.text
    plans = stack.call("GET", f"/networks/{w['a'].id}/shared-plans", w["a"].token).json()
    assert plans["items"][0]["status"] == "proposed"
    deals = stack.call("GET", f"/networks/{w['a'].id}/agreements", w["a"].token).json()
    assert deals["items"][0]["status"] == "proposed"


def test_network_staff_reach_no_firm_s_own_pages(stack, two_networks) -> None:
    """Members or not: a firm's people, money and plans are its HR's."""
    w = two_networks
    for firm in (w["a1"], w["outside"]):
        for path in (f"/companies/{firm.id}", f"/companies/{firm.id}/employees",
                     f"/companies/{firm.id}/dashboard", f"/companies/{firm.id}/plans",
                     f"/companies/{firm.id}/network"):
            assert stack.call("GET", path, w["a"].token).status_code == 403, path
    for path in ("/me/wallet", "/providers", "/ledger/audit"):
        assert stack.call("GET", path, w["a"].token).status_code == 403, path


def test_a_member_s_hr_sees_nothing_of_the_other_members(stack, two_networks) -> None:
    w = two_networks
    a1, a2 = w["a1"], w["a2"]
    mine = stack.call("GET", f"/companies/{a1.id}/network", a1.hr).json()
    assert mine["membership"]["company_id"] == a1.id
    assert "A due" not in json.dumps(mine)
    other = w["memberships"][a2.id]["id"]
    for method, path, body in (
            ("GET", f"/companies/{a2.id}/network", None),
            ("GET", f"/companies/{a2.id}/shared-plans", None),
            ("POST", f"/companies/{a2.id}/network/departure", None),
            ("POST", f"/companies/{a2.id}/network-invitations/{other}/answer",
             {"accept": False}),
            ("POST", f"/companies/{a1.id}/network-invitations/{other}/answer",
             {"accept": False})):
        r = stack.call(method, path, a1.hr, json=body)
        assert r.status_code == 404, (path, r.status_code, r.text)
    for path in (f"/networks/{w['a'].id}", f"/networks/{w['a'].id}/members",
                 f"/networks/{w['a'].id}/dashboard"):
        assert stack.call("GET", path, a1.hr).status_code == 403, path
    assert stack.call("GET", f"/companies/{a2.id}/network", a2.hr).json()[
        "membership"]["company_id"] == a2.id


def test_a_shared_plan_is_adopted_only_in_its_network(stack, two_networks) -> None:
    w = two_networks
    for firm in (w["b1"], w["outside"]):
        r = stack.call("POST", f"/companies/{firm.id}/shared-plans/{w['template']['id']}/"
                       "adoption", firm.hr)
        assert r.status_code == 404, r.text
        assert stack.call("GET", f"/companies/{firm.id}/shared-plans", firm.hr).json()[
            "items"] == []


def test_a_network_approves_only_providers_of_its_territory(stack, admin, fake) -> None:
    network = create_network(stack, admin, fake, name="Rete Cuneo", provinces=("CN",))
    provider = approved_provider(stack, admin, fake, **TORINO)
    r = stack.call("POST", f"/networks/{network.id}/providers/{provider.id}/approval",
                   network.token, json={"approved": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "provider_outside_territory"
    listed = stack.call("GET", f"/networks/{network.id}/providers", network.token).json()
    assert provider.id not in {p["id"] for p in listed["items"]}


def test_an_unknown_circuit_is_not_found(stack) -> None:
    answer = stack.call("GET", "/networks/no-such-network/circuit")
    assert answer.status_code == 404
    assert answer.headers["Access-Control-Allow-Origin"] == "*"  # any site reads why


def test_the_circuit_by_category_and_an_unknown_category_refused(stack, admin, fake) -> None:
    """`?category=`, as the employees' catalogue filters: the providers whose agreement
    covers it, with their agreed offers of it; a category the contract does not know
    is refused naming the field, readable by any site as the circuit is."""
    network = create_network(stack, admin, fake, name="Rete Categorie")
    nursery = approved_provider(stack, admin, fake, category="education", **TORINO)
    gym = approved_provider(stack, admin, fake, category="wellbeing", **TORINO)
    for provider in (nursery, gym):
        r = stack.call("POST", f"/networks/{network.id}/providers/{provider.id}/approval",
                       network.token, json={"approved": True})
        assert r.status_code == 200, r.text
    r = stack.call("POST", f"/networks/{network.id}/agreements", network.token,
                   json={"offering_id": nursery.offering_id, "price_cents": 9_000})
    assert r.status_code == 201, r.text
    r = stack.call("POST", f"/providers/{nursery.id}/agreements/{r.json()['id']}/answer",
                   nursery.token, json={"accept": True})
    assert r.status_code == 200, r.text

    def circuit(**params: str) -> dict:
        answer = stack.call("GET", f"/networks/{network.slug}/circuit", params=params)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.json()["network"]["name"] == "Rete Categorie"
        return {p["id"]: [o["agreed_price_cents"] for o in p["offers"]]
                for p in answer.json()["items"]}

    assert circuit() == {nursery.id: [9_000], gym.id: []}
    assert circuit(category="education") == {nursery.id: [9_000]}
    assert circuit(category="wellbeing") == {gym.id: []}
    assert circuit(category="pension") == {}

    refused = stack.call("GET", f"/networks/{network.slug}/circuit",
                         params={"category": "spa"})
    assert refused.status_code == 400, refused.text
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    error = refused.json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == {"category"}
    (problem,) = error["problems"]["category"]
    assert problem["code"] == "one_of" and "education" in problem["params"]["choices"]


def test_two_adoptions_of_one_shared_plan_at_once_make_one_plan(stack, admin, fake) -> None:
    """Two HR clicks (or two HR managers) adopting at the same moment: one plan, the
    other answer the refusal shared_plan_adopted, never a 500."""
    import eventlet

    network = create_network(stack, admin, fake, name="Rete Doppia")
    firm = new_company(stack, admin, fake, "Doppia Srl")
    join_network(stack, network, firm)
    r = stack.call("POST", f"/networks/{network.id}/shared-plans", network.token,
                   json=shared_plan_body())
    assert r.status_code == 201, r.text
    url = f"/companies/{firm.id}/shared-plans/{r.json()['id']}/adoption"
    pool = eventlet.GreenPool(4)
    answers = list(pool.imap(lambda _: stack.call("POST", url, firm.hr), range(4)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "shared_plan_adopted"}
