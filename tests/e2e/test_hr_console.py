"""What HR's console asks of the API, through the gateway: the dashboard, the
employees table (search, sort, pages, who has not set a password), the
import's dry run, invitations sent again, top-ups with their reference, plans,
a grant checked before it is sent, a receipt for its company's HR only."""

from __future__ import annotations

import time
import uuid
from datetime import date

from support.e2e import add_employee, create_plan, fund_company

CSV = {"Content-Type": "text/csv"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_the_dashboard_tells_the_fund_the_year_and_what_expires(stack, admin, company,
                                                                fake) -> None:
    anna = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 20_000)
    plan = create_plan(stack, company)
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
                   json={"amount_cents": 5_000, "employee_ids": [anna["id"]]})
    assert r.status_code == 201 and r.json()["employee_ids"] == [anna["id"]]
    figures = stack.call("GET", f"/companies/{company.id}/dashboard", company.hr).json()
    assert figures["year"] == date.today().year and figures["employees"] == 1
    assert (figures["fund_balance_cents"], figures["granted_cents"]) == (15_000, 5_000)
    assert figures["topped_up_cents"] == 20_000 and len(figures["by_month"]) == 12
    (held,) = figures["plans"]
    assert held["valid_until"] == plan["valid_until"] and held["amount_cents"] == 5_000
    last = stack.call("GET", f"/companies/{company.id}/dashboard", company.hr,
                      params={"year": date.today().year - 1}).json()
    assert last["granted_cents"] == 0


def test_the_employees_table_searches_sorts_pages_and_tells_who_was_invited(
        stack, company, fake) -> None:
    for first, last in [("Mario", "Rossi"), ("Anna", "Bianchi"), ("Eva", "Rossini")]:
        add_employee(stack, company, fake, first_name=first, last_name=last)
    invited = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json={
        "email": fake.email("invited"), "first_name": "Zoe", "last_name": "Abate",
        "fiscal_code": fake.fiscal_code()}).json()
    url = f"/companies/{company.id}/employees"
    table = stack.call("GET", url, company.hr, params={"sort": "name", "limit": 2}).json()
    assert [e["last_name"] for e in table["items"]] == ["Abate", "Bianchi"]
    assert (table["total"], table["page"], table["pages"]) == (4, 1, 2)
    assert [e["invitation_pending"] for e in table["items"]] == [True, False]
    found = stack.call("GET", url, company.hr, params={"q": "ross", "sort": "name",
                                                       "order": "desc"}).json()
    assert [e["last_name"] for e in found["items"]] == ["Rossini", "Rossi"]
    one = stack.call("GET", url, company.hr, params={"ids": invited["id"]}).json()
    assert [e["id"] for e in one["items"]] == [invited["id"]]
    assert stack.call("GET", url, company.hr, params={"sort": "salary"}).status_code == 400

    r = stack.call("POST", f"{url}/{invited['id']}/invitation", company.hr)
    assert r.status_code == 200 and r.json() == {
        "employee_id": invited["id"], "email": invited["email"], "sent": True}
    deadline = time.monotonic() + 60  # the first invitation, then the one sent again
    while len([m for m in stack.smtp.messages() if m["To"] == invited["email"]]) < 2:
        assert time.monotonic() < deadline, "the invitation was not sent again"
        time.sleep(0.2)
    active = table["items"][1]  # set a password when added: nothing to send
    r = stack.call("POST", f"{url}/{active['id']}/invitation", company.hr)
    assert r.status_code == 409


def test_the_import_s_dry_run_lists_every_bad_row_and_imports_nothing(stack, company,
                                                                      fake) -> None:
    elsewhere = fake.email("taken")  # an account in WeCare already (another role)
    stack.call("POST", f"/companies/{company.id}/hr-invitations", company.hr,
               json={"email": elsewhere, "first_name": "H", "last_name": "R"})
    good = [fake.fiscal_code() for _ in range(3)]
    text = "\n".join([
        "codice_fiscale;nome;cognome;email;gruppo",
        f"{good[0]};Anna;Blu;{fake.email()};impiegati",
        f"RSSMRA85T10A562X;Bad;Code;{fake.email()};",
        f"{good[1]};Luca;Verdi;not-an-email;",
        f"{good[2]};Eva;Neri;{elsewhere};"]) + "\n"
    url = f"/companies/{company.id}/employees/import/preview"
    r = stack.call("POST", url, company.hr, data=text.encode(), headers_extra=CSV)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["valid"] is False and preview["rows"] == 4 and preview["importable"] == 1
    assert list(preview["errors"]) == ["3", "4", "5"]
    assert preview["problems"]["5"] == {"email": [{"code": "email_taken", "params": {}}]}
    assert preview["errors"]["5"] == {"email": ["this email address already has an account"]}
    assert preview["employees"][0]["row"] == 2
    listed = stack.call("GET", f"/companies/{company.id}/employees", company.hr).json()
    assert listed["items"] == []  # a dry run writes nothing
    bad_file = stack.call("POST", url, company.hr, data=b"colour\nblue\n", headers_extra=CSV)
    assert bad_file.status_code == 400 and "unknown column" in bad_file.text


def test_top_ups_are_listed_with_their_state_and_the_reference_to_quote(
        stack, admin, company) -> None:
    r = stack.call("POST", f"/companies/{company.id}/topups", company.hr, key="t1",
                   json={"amount_cents": 12_345, "method": "bank_transfer"})
    assert r.status_code == 201 and r.json()["pay_to"]["iban"]
    fund_company(stack, admin, company, 1_000)
    items = stack.call("GET", f"/companies/{company.id}/topups", company.hr).json()["items"]
    assert [(t["amount_cents"], t["status"]) for t in items] == [
        (1_000, "succeeded"), (12_345, "pending")]
    assert items[1]["bank_reference"] == r.json()["bank_reference"]


def test_plans_are_listed_and_a_grant_is_checked_before_it_is_sent(stack, admin, company,
                                                                   fake) -> None:
    eligible = add_employee(stack, company, fake, income_band="up_to_80k")
    add_employee(stack, company, fake, income_band="over_80k")
    fund_company(stack, admin, company, 1_000)
    plan = create_plan(stack, company, per_employee_budget_cents=60_000)
    plans = stack.call("GET", f"/companies/{company.id}/plans", company.hr).json()["items"]
    assert [p["id"] for p in plans] == [plan["id"]]
    assert plans[0]["per_employee_budget_cents"] == 60_000
    check = stack.call("POST", f"/plans/{plan['id']}/grant-check", company.hr, json={
        "amount_cents": 50_000, "all": True, "source": "performance_bonus",
        "choice_record": "Accordo aziendale: scelte firmate"}).json()
    assert check["employee_ids"] == [eligible["id"]] and check["excluded_count"] == 1
    assert (check["fund_balance_cents"], check["fund_short_cents"]) == (1_000, 49_000)
    assert check["problems"] == []
    over = stack.call("POST", f"/plans/{plan['id']}/grant-check", company.hr, json={
        "amount_cents": 70_000, "employee_ids": [eligible["id"]]}).json()
    assert over["problems"] == [{"employee_id": eligible["id"], "reason": "budget",
                                 "room_cents": 60_000}]
    # checking moved nothing
    assert stack.call("GET", f"/companies/{company.id}", company.hr).json()[
        "fund_balance_cents"] == 1_000


def test_a_receipt_is_served_to_its_company_s_hr_only(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 10_000)
    plan = create_plan(stack, company)
    stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
               json={"amount_cents": 10_000, "employee_ids": [employee["id"]]})
    token = stack.token(employee["email"], employee["password"])
    r = stack.call("POST", "/me/reimbursements", token, key=uuid.uuid4().hex, data={
        "amount_cents": "2500", "category": "education", "spent_on": date.today().isoformat(),
        "provider_tax_id": "45678900049", "beneficiary_fiscal_code": employee["fiscal_code"]},
        files={"receipt": ("scontrino.png", PNG, "image/png")})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    queue = stack.call("GET", f"/companies/{company.id}/reimbursements", company.hr,
                       params={"status": "requested"}).json()["items"]
    assert queue[0]["receipt_content_type"] == "image/png"
    receipt = stack.call("GET", f"/companies/{company.id}/reimbursements/{rid}/receipt",
                         company.hr)
    assert receipt.status_code == 200 and receipt.content == PNG
    assert receipt.headers["Content-Type"] == "image/png"
    assert receipt.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in receipt.headers["Content-Security-Policy"]
    other = stack.call("POST", "/companies", admin, json={
        "name": "Altra", "vat_number": fake.vat_number(), "hr_manager": {
            "email": fake.email("hr2"), "first_name": "A", "last_name": "B",
            "password": "hr-password-123"}}).json()
    assert stack.call("GET", f"/companies/{other['id']}/reimbursements/{rid}/receipt",
                      admin).status_code == 403
