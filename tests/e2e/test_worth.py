"""What welfare is worth, over the public API (docs/fiscal-rules.md#what-welfare-is-worth):
the employee's own income estimate, theirs alone; the company's figures; the worth of the
credit and of a purchase."""

from __future__ import annotations

import json
from datetime import date

from support.e2e import add_employee, create_plan, fund_company

INCOME = 4_567_890  # 45,678.90 €: a figure no other field of WeCare holds


def _texts_of_every_hr_read(stack, company, employee_id: str) -> list[str]:
    """What HR's API answers about the company and this employee, every read it has."""
    year = date.today().year
    paths = [
        (f"/companies/{company.id}", {}),
        (f"/companies/{company.id}/employees", {}),
        (f"/companies/{company.id}/employees", {"ids": employee_id, "sort": "name"}),
        (f"/companies/{company.id}/employees", {"q": "Rossi", "page": 1}),
        (f"/companies/{company.id}/dashboard", {}),
        (f"/companies/{company.id}/reports/fiscal", {"year": year}),
        (f"/companies/{company.id}/reports/fiscal", {"year": year, "format": "csv"}),
        (f"/companies/{company.id}/estimate-settings", {}),
        (f"/companies/{company.id}/plans", {}),
        (f"/companies/{company.id}/reimbursements", {}),
        ("/me", {}),
        ("/me/notifications", {}),
    ]
    texts = []
    for path, params in paths:
        r = stack.call("GET", path, company.hr, params=params)
        assert r.status_code == 200, (path, r.text)
        texts.append(r.text)
    return texts


def test_the_income_an_employee_gives_is_theirs_alone(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    token = stack.token(employee["email"], employee["password"])
    assert stack.call("GET", "/me/income-estimate", token).json() == {"income_cents": None}
    r = stack.call("PUT", "/me/income-estimate", token, json={"income_cents": INCOME})
    assert r.status_code == 200 and r.json() == {"income_cents": INCOME}
    assert stack.call("GET", "/me/income-estimate", token).json() == {"income_cents": INCOME}

    # HR's API has no way to it: not in any answer HR gets, and not HR's to ask for
    for text in _texts_of_every_hr_read(stack, company, employee["id"]):
        assert str(INCOME) not in text and "45.678,90" not in text and "45678.9" not in text
    for who in (company.hr, admin):
        assert stack.call("GET", "/me/income-estimate", who).status_code == 403
        assert stack.call("PUT", "/me/income-estimate", who,
                          json={"income_cents": 1}).status_code == 403
    # and it moved nothing the employee did not ask for
    assert stack.call("GET", "/me/income-estimate", token).json() == {"income_cents": INCOME}

    r = stack.call("PUT", "/me/income-estimate", token, json={"income_cents": None})
    assert r.json() == {"income_cents": None}


def test_a_wrong_income_is_refused_naming_the_field(stack, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    token = stack.token(employee["email"], employee["password"])
    for body in ({"income_cents": -5}, {"income_cents": "molto"}, {"income_cents": 10**12}, {}):
        r = stack.call("PUT", "/me/income-estimate", token, json=body)
        assert r.status_code == 400 and "income_cents" in r.json()["error"]["fields"], body


def test_the_credit_s_worth_follows_the_employee_s_income_or_the_company_band(
        stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 100_000)
    plan = create_plan(stack, company)
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=fake.email("k"),
                   json={"amount_cents": 100_000, "employee_ids": [employee["id"]]})
    assert r.status_code == 201, r.text
    token = stack.token(employee["email"], employee["password"])

    worth = stack.call("GET", "/me/worth", token, params={"year": 2026}).json()
    assert worth["amount_cents"] == 100_000  # all the credit held
    assert worth["estimate"]["source"] == "company_band"
    assert worth["estimate"]["band"] == "up_to_28k"
    assert worth["pension_contributions_cents"] == 9_190
    low = worth["gross_equivalent_cents"]

    stack.call("PUT", "/me/income-estimate", token, json={"income_cents": 3_500_000})
    worth = stack.call("GET", "/me/worth", token, params={"year": 2026}).json()
    assert worth["estimate"] == {"year": 2026, "source": "employee", "band": None,
                                 "income_cents": 3_500_000, "inps_employee_bps": 919,
                                 "surcharges_bps": 203, "marginal_irpef_bps": 3_300}
    assert (worth["as_salary_net_cents"], worth["saving_cents"]) == (59_000, 41_000)
    assert worth["gross_equivalent_cents"] > low

    # the company's own figures, set by its HR, change every estimate of its people
    r = stack.call("PUT", f"/companies/{company.id}/estimate-settings", company.hr,
                   json={"inps_employee_bps": 949, "surcharges_bps": None, "band": "28k_50k"})
    assert r.status_code == 200 and r.json()["inps_employee_bps"] == 949
    assert r.json()["surcharges_default"] is True
    worth = stack.call("GET", "/me/worth", token, params={"year": 2026}).json()
    assert worth["pension_contributions_cents"] == 9_490


def test_a_purchase_is_told_its_tax_treatment(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    token = stack.token(employee["email"], employee["password"])
    fringe = stack.call("GET", "/me/worth", token, params={
        "amount_cents": 30_000, "category": "fringe"}).json()
    assert fringe["treatment"]["kind"] == "fringe"
    assert fringe["treatment"]["room_after_cents"] == fringe["treatment"][
        "room_before_cents"] - 30_000
    school = stack.call("GET", "/me/worth", token, params={
        "amount_cents": 30_000, "category": "education"}).json()
    assert school["treatment"] == {"kind": "exempt", "legal_basis": "TUIR art. 51 c.2 f-bis"}
    r = stack.call("GET", "/me/worth", token, params={"amount_cents": -1})
    assert r.status_code == 400 and "amount_cents" in r.json()["error"]["fields"]


def test_a_company_s_estimate_settings_are_its_own(stack, admin, company, fake) -> None:
    other = stack.call("POST", "/companies", admin, json={
        "name": "Altra S.r.l.", "vat_number": fake.vat_number(),
        "hr_manager": {"email": fake.email("hr"), "first_name": "A", "last_name": "B",
                       "password": "hr-password-123"}}).json()
    for method, body in (("GET", None), ("PUT", {"band": "over_50k"})):
        r = stack.call(method, f"/companies/{other['id']}/estimate-settings", company.hr,
                       json=body)
        assert r.status_code == 404, r.text
    r = stack.call("PUT", f"/companies/{company.id}/estimate-settings", company.hr,
                   json={"surcharges_bps": 600})
    assert r.status_code == 400 and "surcharges_bps" in r.json()["error"]["fields"]
    assert json.loads(stack.call("GET", f"/companies/{company.id}/estimate-settings",
                                 company.hr).text)["surcharges_bps"] == 203


def test_the_yearly_summary_says_what_was_received_used_and_worth(stack, admin, company,
                                                                 fake) -> None:
    from support.e2e import approved_provider, buy

    gift = approved_provider(stack, admin, fake, category="fringe", price_cents=30_000)
    school = approved_provider(stack, admin, fake, category="education", price_cents=20_000)
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 100_000)
    plan = create_plan(stack, company)
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=fake.email("k"),
                   json={"amount_cents": 100_000, "employee_ids": [employee["id"]]})
    assert r.status_code == 201, r.text
    token = stack.token(employee["email"], employee["password"])
    assert buy(stack, token, gift.offering_id).status_code == 201
    assert buy(stack, token, school.offering_id).status_code == 201
    year = date.today().year
    summary = stack.call("GET", "/me/worth/summary", token, params={"year": year}).json()
    assert summary["received_cents"] == 100_000 and summary["used_cents"] == 50_000
    assert {u["category"]: u["treatment"]["kind"] for u in summary["used"]} == {
        "education": "exempt", "fringe": "fringe"}
    assert summary["worth"]["amount_cents"] == 100_000
    assert summary["worth"]["gross_equivalent_cents"] > 100_000
    assert summary["estimate"]["source"] == "company_band"
    assert summary["converted_cents"] == 0 and summary["bonuses"] == []
    last_year = stack.call("GET", "/me/worth/summary", token, params={"year": year - 1}).json()
    assert (last_year["received_cents"], last_year["used"]) == (0, [])
