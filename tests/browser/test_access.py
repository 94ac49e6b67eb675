"""Access that ends (issue 23.2 and 23.3), in Debian's Chromium: an HR manager removes a
colleague's HR access and the colleague is signed out at once; an operator disables an
account, and enables it again; an employee who left signs in to a read-only WeCare that
says until when, downloads their movements and buys nothing; a suspended provider's
counter says it cannot redeem, and the operators' page counts the try. Italian by
default, English on request; axe finds nothing; the removal and the disabling work
without JavaScript too."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from support.browsing import fiscal_code, looks_right, sign_in, vat_number

PASSWORD = "access-test-password-1"
IBAN = "IT60X0542811101000000123456"


@dataclass
class Company:
    id: str
    admin: str  # API tokens
    hr: str
    hr_login: tuple[str, str]
    suffix: str


@pytest.fixture(scope="module")
def company(stack: Any) -> Company:
    admin = stack.api.token(*stack.login("admin"))
    suffix = uuid.uuid4().hex[:6]
    email = f"hr-{suffix}@access.example"
    made = stack.api("POST", "/companies", admin, name=f"Fonderia Access {suffix} S.r.l.",
                     vat_number=vat_number(), hr_manager={
                         "email": email, "first_name": "Ada", "last_name": "Neri",
                         "password": PASSWORD})
    return Company(made["id"], admin, stack.api.token(email, PASSWORD), (email, PASSWORD),
                   suffix)


def confirm_dialogs(page: Any) -> None:
    """Forms that take access away ask first (window.confirm): the person says yes."""
    page.on("dialog", lambda dialog: dialog.accept())


def colleague(stack: Any, company: Company, name: str) -> tuple[str, str]:
    """An HR colleague invited, who set their password from the email: their login."""
    email = f"{name}-{company.suffix}@access.example"
    stack.api("POST", f"/companies/{company.id}/hr-invitations", company.hr, email=email,
              first_name=name.title(), last_name="Verdi")
    mail = stack.mail.wait_for(lambda m: m["To"] == email)[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    token = text.split("/password/new?token=", 1)[1].split()[0]
    r = requests.post(f"{stack.url}/api/v1/auth/password", timeout=30,
                      json={"token": token, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return email, PASSWORD


def employee(stack: Any, company: Company, cents: int = 0) -> tuple[dict, tuple[str, str]]:
    email = f"emp-{uuid.uuid4().hex[:8]}@access.example"
    made = stack.api("POST", f"/companies/{company.id}/employees", company.hr, email=email,
                     first_name="Lia", last_name="Blu", fiscal_code=fiscal_code(),
                     password=PASSWORD)
    if cents:
        topup = stack.api("POST", f"/companies/{company.id}/topups", company.hr,
                          key=uuid.uuid4().hex, amount_cents=cents, method="bank_transfer")
        stack.api("POST", f"/topups/{topup['id']}/confirmation", company.admin)
        year = date.today().year
        plan = stack.api("POST", f"/companies/{company.id}/plans", company.hr,
                         name=f"Welfare {year}", fiscal_year=year, valid_from=f"{year}-01-01",
                         valid_until=f"{year}-12-31", categories=["education", "wellbeing"],
                         leftover_policy="return_to_fund")
        stack.api("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
                  amount_cents=cents, employee_ids=[made["id"]])
    return made, (email, PASSWORD)


# -- HR removes a colleague ----------------------------------------------------------------
def test_hr_removes_a_colleague_who_is_signed_out_at_once(
        stack, company, page_factory, axe, shot) -> None:
    carla = colleague(stack, company, "carla")
    hr = page_factory("desktop", base_url=stack.url)
    theirs = page_factory("desktop", base_url=stack.url)
    confirm_dialogs(hr)
    sign_in(theirs, carla)
    expect(theirs).to_have_url(re.compile(r"/hr$"))

    sign_in(hr, company.hr_login)
    hr.locator("nav.sidenav").get_by_role("link", name="Colleghi HR").click()
    expect(hr.locator("h1")).to_have_text("Colleghi HR")
    row = hr.locator("tr", has_text=carla[0])
    expect(row).to_contain_text("Può accedere")
    expect(hr.locator("tr", has_text=company.hr_login[0])).to_contain_text("(tu)")
    expect(hr.locator("tr", has_text=company.hr_login[0]).locator("button")).to_have_count(0)
    looks_right(hr, axe, shot, "hr-colleagues-1280")

    row.get_by_role("button", name=re.compile("Togli l'accesso")).click()
    status = hr.locator("[role=status]")
    expect(status).to_contain_text(f"{carla[0]} non ha più accesso a WeCare")
    expect(hr.locator("tr", has_text=carla[0])).to_contain_text("Accesso tolto")
    axe(hr)

    theirs.reload()  # their session ended at once: back to signing in
    expect(theirs).to_have_url(re.compile(r"/\?next="))
    sign_in(theirs, carla)
    expect(theirs.locator(".error-summary")).to_contain_text("disattivato")
    axe(theirs)


def test_without_javascript_hr_removes_a_colleague_too(stack, company, page_factory) -> None:
    piero = colleague(stack, company, "piero")
    hr = page_factory("desktop", base_url=stack.url, java_script_enabled=False)
    sign_in(hr, company.hr_login)
    hr.goto("/hr/colleagues")
    hr.locator("tr", has_text=piero[0]).get_by_role(
        "button", name=re.compile("Togli l'accesso")).click()
    expect(hr.locator("[role=status]")).to_contain_text(f"{piero[0]} non ha più accesso")
    r = requests.post(f"{stack.url}/api/v1/auth/token", timeout=30,
                      json={"email": piero[0], "password": piero[1]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"


# -- an operator disables an account ------------------------------------------------------
def test_an_operator_disables_an_account_and_enables_it_again(
        stack, company, page_factory, axe, shot) -> None:
    person, login = employee(stack, company)
    theirs = page_factory("phone", base_url=stack.url)
    sign_in(theirs, login)
    expect(theirs).to_have_url(re.compile(r"/home$"))

    admin = page_factory("desktop", base_url=stack.url)
    confirm_dialogs(admin)
    sign_in(admin, stack.login("admin"))
    admin.locator("nav.sidenav").get_by_role("link", name="Account").click()
    expect(admin.locator("h1")).to_have_text("Account")
    admin.fill("#f-email", login[0])
    admin.keyboard.press("Enter")
    row = admin.locator("tr", has_text=login[0])
    expect(row).to_contain_text("Dipendente")
    expect(row).to_contain_text("Può accedere")
    looks_right(admin, axe, shot, "admin-accounts-1280")

    row.get_by_role("button", name=re.compile("Disattiva")).click()
    expect(admin.locator("[role=status]")).to_contain_text(f"{login[0]} è disattivato")
    expect(admin.locator("tr", has_text=login[0])).to_contain_text("Disattivato il")
    axe(admin)

    theirs.reload()
    expect(theirs).to_have_url(re.compile(r"/\?next="))
    sign_in(theirs, login)
    summary = theirs.locator(".error-summary")
    expect(summary).to_contain_text("Questo account è stato disattivato")
    axe(theirs)

    admin.locator("tr", has_text=login[0]).get_by_role(
        "button", name=re.compile("Riattiva")).click()
    expect(admin.locator("[role=status]")).to_contain_text("è di nuovo attivo")
    sign_in(theirs, login)
    expect(theirs).to_have_url(re.compile(r"/home$"))
    assert person["id"]


def test_without_javascript_and_in_english_an_operator_disables_an_account(
        stack, company, page_factory) -> None:
    _, login = employee(stack, company)
    admin = page_factory("desktop", base_url=stack.url, java_script_enabled=False,
                         locale="en-GB")
    sign_in(admin, stack.login("admin"))
    admin.goto("/admin/accounts?" + f"email={login[0]}")
    admin.locator("tr", has_text=login[0]).get_by_role(
        "button", name=re.compile("Disable")).click()
    expect(admin.locator("[role=status]")).to_contain_text(f"{login[0]} is disabled")
    own = admin.locator("tr", has_text=stack.login("admin")[0])
    admin.goto("/admin/accounts?email=" + stack.login("admin")[0])
    expect(own.locator("button")).to_have_count(0)  # never their own


# -- an employee who left ------------------------------------------------------------------
def test_a_departed_employee_signs_in_to_read_only_downloads_and_buys_nothing(
        stack, company, page_factory, axe, shot) -> None:
    person, login = employee(stack, company, cents=20_000)
    provider_email = f"gym-{company.suffix}@access.example"
    provider = stack.api("POST", "/providers/enrolment", company.admin,
                         name=f"Palestra Access {company.suffix}",
                         vat_number=vat_number(), categories=["wellbeing"],
                         address="Via Roma 1", city="Torino", province="TO", lat=45.07,
                         lon=7.68, email=provider_email, password=PASSWORD, iban=IBAN)
    stack.api("POST", f"/providers/{provider['id']}/approval", company.admin,
              status="approved", commission_bps=0)
    # its phones accept nothing without a network: a cancellation takes effect at once
    # (docs/offline.md; otherwise after the provider's offline window)
    stack.api("PUT", f"/providers/{provider['id']}/offline-limits", company.admin,
              voucher_cents=15_000, waiting_cents=50_000, hours=0)
    offering = stack.api("POST", f"/providers/{provider['id']}/offerings",
                         stack.api.token(provider_email, PASSWORD), title="Abbonamento",
                         category="wellbeing", price_cents=5_000)
    token = stack.api.token(*login)
    voucher = stack.api("POST", "/me/vouchers", token, key=uuid.uuid4().hex,
                        offering_id=offering["id"])
    stack.api("POST", f"/companies/{company.id}/employees/{person['id']}/departure",
              company.hr, left_on=date.today().isoformat())

    phone = page_factory("phone", base_url=stack.url)
    confirm_dialogs(phone)
    sign_in(phone, login)
    expect(phone).to_have_url(re.compile(r"/home$"))
    notice = phone.locator("#read-only")
    expect(notice).to_contain_text("Hai lasciato l'azienda. Fino al")
    expect(notice).to_contain_text(re.compile(r"\d\d/\d\d/\d{4}"))
    looks_right(phone, axe, shot, "employee-left-home")

    phone.goto(f"/offerings/{offering['id']}")
    expect(phone.locator("#read-only")).to_be_visible()
    expect(phone.locator("form.buy")).to_have_count(0)  # nothing to buy
    axe(phone)

    phone.goto("/statement")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Scarica tutti i tuoi movimenti (CSV)").click()
    saved = download.value.path()
    assert saved is not None
    lines = open(saved, encoding="utf-8").read().splitlines()
    assert lines[0] == "occurred_at;kind;plan_id;plan_name;amount_cents" and len(lines) >= 3
    looks_right(phone, axe, shot, "employee-left-statement")

    phone.goto(f"/vouchers/{voucher['id']}")
    phone.get_by_role("button", name="Annulla il voucher").click()
    expect(phone.locator("[role=status]", has_text="Il voucher è annullato")).to_contain_text(
        "il suo credito è tornato all'azienda")
    axe(phone)
    fund = stack.api("GET", f"/companies/{company.id}", company.hr)["fund_balance_cents"]
    assert fund >= 20_000  # the credit left and the cancelled voucher: both back to it


# -- a suspended provider ------------------------------------------------------------------
def test_a_suspended_provider_s_counter_says_so_and_the_operators_see_the_try(
        stack, company, page_factory, axe, shot) -> None:
    _, login = employee(stack, company, cents=5_000)
    provider_email = f"nido-{company.suffix}@access.example"
    provider = stack.api("POST", "/providers/enrolment", company.admin,
                         name=f"Nido Access {company.suffix}",
                         vat_number=vat_number(), categories=["education"],
                         address="Via Po 2", city="Torino", province="TO", lat=45.07,
                         lon=7.69, email=provider_email, password=PASSWORD, iban=IBAN)
    stack.api("POST", f"/providers/{provider['id']}/approval", company.admin,
              status="approved", commission_bps=200)
    offering = stack.api("POST", f"/providers/{provider['id']}/offerings",
                         stack.api.token(provider_email, PASSWORD), title="Retta",
                         category="education", price_cents=2_500)
    voucher = stack.api("POST", "/me/vouchers", stack.api.token(*login),
                        key=uuid.uuid4().hex, offering_id=offering["id"])
    stack.api("POST", f"/providers/{provider['id']}/approval", company.admin,
              status="suspended")

    counter = page_factory("phone", base_url=stack.url)
    sign_in(counter, (provider_email, PASSWORD))
    counter.goto("/provider/redeem")
    counter.fill("#f-code", voucher["code"])
    counter.locator("form button[type=submit]").last.click()
    box = counter.locator("#verdict")
    expect(box.locator("h2")).to_have_text("Riscossione sospesa")
    expect(box).to_have_attribute("role", "alert")
    looks_right(counter, axe, shot, "provider-suspended")

    admin = page_factory("desktop", base_url=stack.url)
    sign_in(admin, stack.login("admin"))
    admin.goto("/admin/providers")
    row = admin.locator("section[aria-labelledby=suspended-h] tr",
                        has_text=f"Nido Access {company.suffix}")
    expect(row).to_contain_text("1 tentativo")
    looks_right(admin, axe, shot, "admin-providers-suspended-1280")
