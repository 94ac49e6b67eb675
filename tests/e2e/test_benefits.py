"""HR's side through the public API: CSV import, grants under the fiscal rules,
departures, reimbursements with receipts, the payroll report."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

from support.e2e import add_employee, approved_provider, buy, create_plan, fund_company

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_csv_import_is_all_or_nothing_and_lists_every_bad_row(stack, company, fake) -> None:
    good = [fake.fiscal_code() for _ in range(3)]
    header = "Codice fiscale;Nome;Cognome;Email;Gruppo;Fascia reddito;Figli a carico\n"
    rows = [f"{good[0]};Anna;Blu;{fake.email()};impiegati;up_to_80k;{fake.fiscal_code()}",
            f"{good[1]};Luca;Verdi;{fake.email()};operai;;",
            "RSSMRA85T10A562X;Bad;Code;x@example.test;;;",        # wrong check character
            f"{good[2]};Eva;Neri;not-an-email;;;",                 # bad email
            f"{good[0]};Anna;Bis;{fake.email()};;;"]               # repeats row 2
    r = stack.call("POST", f"/companies/{company.id}/employees/import", company.hr,
                   data="\n".join([header.strip(), *rows]).encode(),
                   headers_extra={"Content-Type": "text/csv"})
    assert r.status_code == 400, r.text
    bad = r.json()["error"]["fields"]["rows"]  # line number → field → reasons
    assert set(bad) == {"4", "5", "6"}
    assert "fiscal_code" in bad["4"] and "email" in bad["5"] and "repeats row 2" in str(bad["6"])
    listed = stack.call("GET", f"/companies/{company.id}/employees", company.hr).json()
    assert listed["items"] == []  # nothing was imported

    csv_text = "\ufeff" + "\n".join([header.strip(), rows[0], rows[1]])  # Excel's BOM
    r = stack.call("POST", f"/companies/{company.id}/employees/import", company.hr,
                   data=csv_text.encode(), headers_extra={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 2
    people = stack.call("GET", f"/companies/{company.id}/employees", company.hr).json()["items"]
    assert sorted(p["fiscal_code"] for p in people) == sorted(good[:2])
    anna = next(p for p in people if p["first_name"] == "Anna")
    assert len(anna["dependent_children"]) == 1

    again = stack.call("POST", f"/companies/{company.id}/employees/import", company.hr,
                       data=csv_text.encode(), headers_extra={"Content-Type": "text/csv"})
    assert again.status_code == 400
    assert all("already enrolled" in str(errors)
               for errors in again.json()["error"]["fields"]["rows"].values())


def _convert(stack, company, plan: dict, who: list[str], cents: int):  # type: ignore[no-untyped-def]
    return stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
                      json={"amount_cents": cents, "employee_ids": who,
                            "source": "performance_bonus",
                            "choice_record": "Accordo aziendale: scelte firmate"})


def test_performance_bonus_conversion_follows_l_208_2015(stack, admin, company, fake) -> None:
    """A 2025 plan keeps the 3,000 EUR cap, whatever year it is today."""
    eligible = add_employee(stack, company, fake, income_band="up_to_80k")
    high = add_employee(stack, company, fake, income_band="over_80k")
    fund_company(stack, admin, company, 1_000_000)
    plan = create_plan(stack, company, fiscal_year=2025)

    r = _convert(stack, company, plan, [eligible["id"], high["id"]], 10_000)
    assert r.status_code == 422 and r.json()["error"]["fields"]["employee_ids"] == [high["id"]]
    assert "at most 80.000,00 €" in r.json()["error"]["message"]
    r = _convert(stack, company, plan, [eligible["id"]], 300_001)
    assert r.status_code == 422
    assert "the 2025 performance-bonus conversion is capped at 3.000,00 €" in (
        r.json()["error"]["message"])
    assert _convert(stack, company, plan, [eligible["id"]], 250_000).status_code == 201
    r = _convert(stack, company, plan, [eligible["id"]], 50_001)
    assert r.status_code == 422
    assert "room left this year: 500,00 €" in r.json()["error"]["message"]
    assert r.json()["error"]["fields"]["amount_cents"] == [
        "at most 500,00 €: the room left this year"]
    assert _convert(stack, company, plan, [eligible["id"]], 50_000).status_code == 201
    # without saying where each employee's written choice is recorded: not HR's to convert
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
                   json={"amount_cents": 100, "employee_ids": [eligible["id"]],
                         "source": "performance_bonus"})
    assert r.status_code == 400 and "choice_record" in r.json()["error"]["fields"]
    company_grant = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr,
                               key=uuid.uuid4().hex,
                               json={"amount_cents": 10_000, "employee_ids": [high["id"]]})
    assert company_grant.status_code == 201  # the company's own money has no such cap


def test_a_4500_bonus_converts_in_2026_up_to_the_5000_cap(stack, admin, company, fake) -> None:
    """L. 199/2025 art. 1 c. 9: 5,000 EUR a year for bonuses paid in 2026 and 2027,
    all of the year's conversions together, across plans."""
    employee = add_employee(stack, company, fake, income_band="up_to_80k")
    fund_company(stack, admin, company, 1_000_000)
    plan, other_plan = (create_plan(stack, company, fiscal_year=2026) for _ in range(2))

    r = _convert(stack, company, plan, [employee["id"]], 500_001)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "bonus_conversion_capped"
    assert error["message"] == ("the 2026 performance-bonus conversion is capped at 5.000,00 € "
                                "per employee (L. 199/2025 art. 1 c. 9); room left this year: "
                                "5.000,00 €")
    assert error["fields"]["employee_ids"] == [employee["id"]]
    assert error["params"]["room_cents"] == 500_000 and error["params"]["cap_cents"] == 500_000

    r = _convert(stack, company, plan, [employee["id"]], 450_000)
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "performance_bonus" and r.json()["total_cents"] == 450_000
    token = stack.token(employee["email"], employee["password"])
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 450_000

    r = _convert(stack, company, other_plan, [employee["id"]], 50_001)
    assert r.status_code == 422
    assert "room left this year: 500,00 €" in r.json()["error"]["message"]
    assert _convert(stack, company, other_plan, [employee["id"]], 50_000).status_code == 201
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 500_000


def test_the_year_s_rules_are_published_with_their_legal_basis(stack, company) -> None:
    r = stack.call("GET", "/fiscal-rules", params={"year": 2026})  # no sign-in needed
    assert r.status_code == 200, r.text
    assert "public" in r.headers["Cache-Control"]
    rules = r.json()
    assert rules["year"] == 2026 and rules["listed"] is True
    assert rules["performance_bonus"] == {
        "cap_cents": 500_000, "cap_basis": "L. 199/2025 art. 1 c. 9",
        "income_max_cents": 8_000_000,
        "income_max_basis": "L. 208/2015 art. 1 c. 186, as amended by L. 232/2016 art. 1 c. 160",
        "substitute_tax_bps": 100, "substitute_tax_basis": "L. 199/2025 art. 1 c. 9"}
    assert rules["fringe"]["limit_cents"] == 100_000
    assert rules["fringe"]["limit_with_children_cents"] == 200_000
    assert rules["fringe"]["legal_basis"].endswith("L. 207/2024 art. 1 c. 390-391")
    assert rules["cumulative_voucher"]["max_cents"] == 25_823
    categories = {c["category"]: c for c in rules["categories"]}
    assert categories["pension"]["yearly_limit_cents"] == 530_000
    assert "L. 199/2025 art. 1 c. 201" in categories["pension"]["yearly_limit_basis"]
    assert categories["wellbeing"]["cash_reimbursable"] is False
    assert categories["education"]["yearly_limit_cents"] is None

    old = stack.call("GET", "/fiscal-rules", company.hr, params={"year": 2025}).json()
    assert old["performance_bonus"]["cap_cents"] == 300_000
    assert old["performance_bonus"]["substitute_tax_bps"] == 500
    assert {c["category"]: c for c in old["categories"]}["pension"][
        "yearly_limit_cents"] == 516_457
    this_year = stack.call("GET", "/fiscal-rules").json()
    assert this_year["year"] == date.today().year
    r = stack.call("GET", "/fiscal-rules", params={"year": 1999})
    assert r.status_code == 400 and "year" in r.json()["error"]["fields"]

    spec = stack.call("GET", "/openapi.json").json()
    assert spec["paths"]["/api/v1/fiscal-rules"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/FiscalRulesOut"}


def test_a_plan_budget_caps_each_employee(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 100_000)
    plan = create_plan(stack, company, per_employee_budget_cents=30_000)
    grant = {"amount_cents": 20_000, "employee_ids": [employee["id"]]}
    assert stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="b1",
                      json=grant).status_code == 201
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="b2", json=grant)
    assert r.status_code == 422 and "budget" in r.json()["error"]["message"]


def test_granting_to_all_reaches_every_active_employee_of_the_target_groups(
        stack, admin, company, fake) -> None:
    office = [add_employee(stack, company, fake, group="impiegati") for _ in range(3)]
    add_employee(stack, company, fake, group="operai")
    fund_company(stack, admin, company, 100_000)
    plan = create_plan(stack, company, target_groups=["impiegati"])
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="all",
                   json={"amount_cents": 1_000, "all": True})
    assert r.status_code == 201 and r.json()["employee_count"] == 3
    for person in office:
        token = stack.token(person["email"], person["password"])
        assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 1_000


def test_a_leaver_s_credit_returns_to_the_fund(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 5_000)
    plan = create_plan(stack, company)
    stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="l1",
               json={"amount_cents": 5_000, "employee_ids": [employee["id"]]})
    r = stack.call("POST", f"/companies/{company.id}/employees/{employee['id']}/departure",
                   company.hr, json={"left_on": date.today().isoformat()})
    assert r.status_code == 200 and r.json()["status"] == "left"
    deadline = time.monotonic() + 10
    while stack.call("GET", f"/companies/{company.id}",
                     company.hr).json()["fund_balance_cents"] != 5_000:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    token = stack.token(employee["email"], employee["password"])
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 0
    again = stack.call("POST", f"/companies/{company.id}/employees/{employee['id']}/departure",
                       company.hr, json={"left_on": date.today().isoformat()})
    assert again.status_code == 409


def _reimburse(stack, token, employee, key, **over):  # type: ignore[no-untyped-def]
    form = {"amount_cents": "12000", "category": "education",
            "spent_on": (date.today() - timedelta(days=3)).isoformat(),
            "provider_tax_id": "45678900049", "beneficiary_fiscal_code": employee["fiscal_code"]}
    receipt = over.pop("receipt", ("ricevuta.pdf", PDF, "application/pdf"))
    form.update(over)
    return stack.call("POST", "/me/reimbursements", token, key=key, data=form,
                      files={"receipt": receipt})


def test_reimbursements_are_held_then_paid_or_given_back(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 50_000)
    plan = create_plan(stack, company, categories=["education", "wellbeing", "fringe"])
    stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="r0",
               json={"amount_cents": 50_000, "employee_ids": [employee["id"]]})
    token = stack.token(employee["email"], employee["password"])

    r = _reimburse(stack, token, employee, "w", category="wellbeing")
    assert r.status_code == 422 and "cannot be reimbursed in cash" in r.json()["error"]["message"]
    r = _reimburse(stack, token, employee, "b", beneficiary_fiscal_code=fake.fiscal_code())
    assert r.status_code == 422 and "beneficiary_fiscal_code" in r.json()["error"]["fields"]
    r = _reimburse(stack, token, employee, "f", receipt=("r.pdf", PNG, "application/pdf"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "receipt_not_its_type"
    r = _reimburse(stack, token, employee, "t", receipt=("r.txt", b"hello", "text/plain"))
    assert r.status_code == 400 and "receipt" in r.json()["error"]["fields"]
    r = _reimburse(stack, token, employee, "d",
                   spent_on=(date.today() + timedelta(days=1)).isoformat())
    assert r.status_code == 400 and "spent_on" in r.json()["error"]["fields"]
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 50_000

    first = _reimburse(stack, token, employee, "ok-1")
    assert first.status_code == 201, first.text
    assert _reimburse(stack, token, employee, "ok-1").json()["id"] == first.json()["id"]
    second = _reimburse(stack, token, employee, "ok-2", amount_cents="8000",
                        receipt=("scontrino.png", PNG, "image/png"))
    assert second.status_code == 201
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 30_000  # held

    pending = stack.call("GET", f"/companies/{company.id}/reimbursements", company.hr,
                         params={"status": "requested"}).json()["items"]
    assert {p["id"] for p in pending} == {first.json()["id"], second.json()["id"]}

    r = stack.call("POST", f"/reimbursements/{first.json()['id']}/decision", company.hr,
                   key="d1", json={"approved": True})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = stack.call("POST", f"/reimbursements/{second.json()['id']}/decision", company.hr,
                   key="d2", json={"approved": False})
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = stack.call("POST", f"/reimbursements/{second.json()['id']}/decision", company.hr,
                   key="d3", json={"approved": False, "reason": "ricevuta illeggibile"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = stack.call("POST", f"/reimbursements/{second.json()['id']}/decision", company.hr,
                   key="d4", json={"approved": True})
    assert r.status_code == 409
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 38_000

    report = stack.call("GET", f"/companies/{company.id}/reports/fiscal", company.hr,
                        params={"year": date.today().year}).json()
    mine = [row for row in report["rows"] if row["employee_id"] == employee["id"]]
    assert mine == [{**mine[0], "category": "education", "used_cents": 12_000,
                     "exempt_cents": 12_000, "taxable_cents": 0}]
    assert stack.call("GET", "/ledger/audit", admin).json()["balanced"] is True


def test_the_payroll_report_in_json_and_csv(stack, admin, company, fake) -> None:
    gift = approved_provider(stack, admin, fake, category="fringe", price_cents=30_000)
    school = approved_provider(stack, admin, fake, category="education", price_cents=20_000)
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 100_000)
    plan = create_plan(stack, company)
    stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="p",
               json={"amount_cents": 100_000, "employee_ids": [employee["id"]]})
    token = stack.token(employee["email"], employee["password"])
    assert buy(stack, token, gift.offering_id).status_code == 201
    assert buy(stack, token, school.offering_id).status_code == 201
    year = date.today().year
    report = stack.call("GET", f"/companies/{company.id}/reports/fiscal", company.hr,
                        params={"year": year}).json()
    rows = {r["category"]: r for r in report["rows"] if r["employee_id"] == employee["id"]}
    assert rows["fringe"]["fringe_within_limit_cents"] == 30_000
    assert rows["fringe"]["taxable_cents"] == 0
    assert rows["education"]["exempt_cents"] == 20_000
    csv = stack.call("GET", f"/companies/{company.id}/reports/fiscal", company.hr,
                     params={"year": year, "format": "csv"})
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("employee_id;fiscal_code;last_name")
    assert lines[-1].startswith("TOTAL;")
    assert any(employee["fiscal_code"] in line and ";fringe;30000;" in line for line in lines)
