"""The operators' console at a desk (1280 px, and a 768 px tablet), in a real
Chromium: the operator signs in, approves a provider's application with its
commission typed in percent (the keyboard alone), confirms a company's bank
transfer once (the keyboard alone; a second confirmation credits nothing and
says so), previews and runs a settlement after a voucher was bought and
redeemed, downloads the SEPA file, which validates against pain.001.001.03, and
finds the ledger balanced. axe finds nothing on any page; each page is
photographed into docs/screenshots/admin-*.png at both widths."""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sepaxml
import xmlschema
from playwright.sync_api import expect
from support.browsing import fiscal_code, look, sign_in, tab_to, vat_number, wait_for

PASSWORD = "operator-test-password-1"
IBAN = "IT60X0542811101000000123456"
PAIN_001_001_03 = os.path.join(os.path.dirname(sepaxml.__file__), "schemas",
                               "pain.001.001.03.xsd")
PRICE = 12_345  # 123,45 €
TABLET = {"viewport": {"width": 768, "height": 1024}, "has_touch": True}


@dataclass
class Desk:
    """What waits for the operator: a provider's application, a company's bank
    transfer, and (once both are done) an employee able to buy from that provider."""

    admin: str  # API token
    hr: str
    company_id: str
    company_name: str
    provider: dict
    provider_login: tuple[str, str]
    topup: dict


@pytest.fixture(scope="module")
def desk(stack: Any) -> Desk:
    admin = stack.api.token(*stack.login("admin"))
    suffix = uuid.uuid4().hex[:6]
    hr_email = f"hr-{suffix}@operators.example"
    name = f"Tipografia Verdi {suffix} S.r.l."
    company = stack.api("POST", "/companies", admin, name=name, vat_number=vat_number(),
                        hr_manager={"email": hr_email, "first_name": "Ada",
                                    "last_name": "Verdi", "password": PASSWORD})
    hr = stack.api.token(hr_email, PASSWORD)
    topup = stack.api("POST", f"/companies/{company['id']}/topups", hr, key=uuid.uuid4().hex,
                      amount_cents=100_000, method="bank_transfer")
    provider_email = f"ludoteca-{suffix}@operators.example"
    provider = stack.api("POST", "/providers/enrolment", admin,
                         name=f"Ludoteca Girotondo {suffix}",
                         vat_number=vat_number(), categories=["education"],
                         address="Via Nizza 20", city="Torino", province="TO", lat=45.05,
                         lon=7.67, email=provider_email, password=PASSWORD, iban=IBAN)
    return Desk(admin, hr, company["id"], name, provider, (provider_email, PASSWORD), topup)


def test_the_operator_clears_what_waits(stack, desk, desktop, page_factory, axe, shot,
                                        tmp_path) -> None:
    admin = stack.login("admin")
    tablet = page_factory("desktop", base_url=stack.url, **TABLET)
    sign_in(desktop, admin)
    sign_in(tablet, admin)
    expect(desktop).to_have_url(re.compile(r"/admin$"))
    expect(desktop.locator("h1")).to_have_count(1)
    expect(desktop.locator("main")).to_contain_text("Candidature dei fornitori")
    expect(desktop.locator("nav.sidenav a[aria-current=page]")).to_have_text("Panoramica")
    look(desktop, axe, shot, "admin-overview", tablet)

    # -- a provider joins the circuit: commission typed in percent, the keyboard alone ----
    desktop.locator("nav.sidenav").get_by_role("link", name="Fornitori").click()
    expect(desktop.locator("h1")).to_have_text("Fornitori")
    pid, name = desk.provider["id"], desk.provider["name"]
    card = desktop.locator("li.application", has_text=name)
    expect(card).to_contain_text(desk.provider_login[0])
    look(desktop, axe, shot, "admin-providers", tablet)

    field = desktop.locator(f"#f-commission-{pid}")
    tab_to(desktop, field)
    desktop.keyboard.type("tre")  # not a percentage: said beside the field, kept
    desktop.keyboard.press("Enter")
    summary = desktop.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Inserisci la commissione in percentuale")
    expect(desktop.locator(f"#f-commission-{pid}-error")).to_be_visible()
    expect(desktop.locator(f"#f-commission-{pid}")).to_have_value("tre")
    look(desktop, axe, shot, "admin-providers-error")

    desktop.keyboard.press("Tab")  # the summary's link leads to the field
    desktop.keyboard.press("Enter")
    field = desktop.locator(f"#f-commission-{pid}")
    tab_to(desktop, field, presses=5)
    desktop.keyboard.press("Control+A")
    desktop.keyboard.type("3")
    desktop.keyboard.press("Enter")
    status = desktop.locator("[role=status]")
    expect(status).to_contain_text(f"{name} è approvato con una commissione del 3%")
    expect(desktop.locator("li.application", has_text=name)).to_have_count(0)
    circuit_row = desktop.locator("section[aria-labelledby=circuit-h] tr", has_text=name)
    expect(circuit_row).to_contain_text("3%")
    assert pid in {p["id"] for p in stack.api("GET", "/circuit?limit=200")["items"]}
    approved = stack.api("GET", "/providers?status=approved&limit=200", desk.admin)["items"]
    assert next(p for p in approved if p["id"] == pid)["commission_bps"] == 300
    axe(desktop)

    # -- the company's bank transfer: confirmed once, the keyboard alone ------------------------
    desktop.locator("nav.sidenav").get_by_role("link", name="Bonifici").click()
    reference = desk.topup["bank_reference"]
    row = desktop.locator("tr", has_text=reference)
    expect(row).to_contain_text(desk.company_name)
    expect(row).to_contain_text("1.000,00")
    look(desktop, axe, shot, "admin-transfers", tablet)
    stale = page_factory("desktop", base_url=stack.url)  # a colleague's tab, open before
    sign_in(stale, admin)
    stale.goto("/admin/transfers")

    tab_to(desktop, row.locator("button"))
    desktop.keyboard.press("Enter")
    expect(desktop.locator("[role=status]")).to_contain_text(
        f"Bonifico {reference} confermato.")
    expect(desktop.locator("[role=status]")).to_contain_text(
        f"Il fondo welfare di {desk.company_name} ha ricevuto 1.000,00")
    expect(desktop.locator("tr", has_text=reference)).to_have_count(0)
    look(desktop, axe, shot, "admin-transfers-confirmed")
    fund = stack.api("GET", f"/companies/{desk.company_id}", desk.admin)["fund_balance_cents"]
    assert fund == 100_000

    stale.locator("tr", has_text=reference).locator("button").click()  # again: harmless
    expect(stale.locator("[role=status]")).to_contain_text(
        f"Il bonifico {reference} era già confermato.")
    expect(stale.locator("[role=status]")).to_contain_text(
        "Nulla è stato accreditato due volte.")
    axe(stale)
    assert stack.api("GET", f"/companies/{desk.company_id}",
                     desk.admin)["fund_balance_cents"] == 100_000

    # -- a voucher of the new provider is bought and redeemed (through the API) ------------------
    provider_token = stack.api.token(*desk.provider_login)
    offering = stack.api("POST", f"/providers/{pid}/offerings", provider_token,
                         title="Pomeriggio in ludoteca", category="education",
                         price_cents=PRICE)
    year = date.today().year
    plan = stack.api("POST", f"/companies/{desk.company_id}/plans", desk.hr,
                     name=f"Welfare {year}", fiscal_year=year, valid_from=f"{year}-01-01",
                     valid_until=f"{year}-12-31", categories=["education"],
                     leftover_policy="return_to_fund")
    employee = (f"emp-{uuid.uuid4().hex[:6]}@operators.example", PASSWORD)
    person = stack.api("POST", f"/companies/{desk.company_id}/employees", desk.hr,
                       email=employee[0], first_name="Bruno", last_name="Verdi",
                       fiscal_code=fiscal_code(), password=PASSWORD)
    stack.api("POST", f"/plans/{plan['id']}/grants", desk.hr, key=uuid.uuid4().hex,
              amount_cents=50_000, employee_ids=[person["id"]])
    token = stack.api.token(*employee)
    key = uuid.uuid4().hex
    voucher = wait_for(lambda: stack.api("POST", "/me/vouchers", token, key=key,
                                         offering_id=offering["id"]))
    stack.api("POST", f"/providers/{pid}/redemptions", provider_token, key=uuid.uuid4().hex,
              code=voucher["code"])

    # -- the settlement: preview, run, the SEPA file ------------------------------------------
    commission = PRICE * 300 // 10_000
    desktop.locator("nav.sidenav").get_by_role("link", name="Liquidazioni").click()
    line = desktop.locator("section[aria-labelledby=preview-h] tbody tr", has_text=name)
    expect(line).to_contain_text("123,45")  # gross
    expect(line).to_contain_text("3,70")  # 3 % of it, rounded down
    expect(line).to_contain_text("119,75")  # net
    expect(line).to_contain_text("Bonifico SEPA")
    preview = stack.api("GET", "/settlements/preview", desk.admin)
    ours = next(i for i in preview["items"] if i["provider_id"] == pid)
    assert (ours["gross_cents"], ours["commission_cents"], ours["net_cents"]) == (
        PRICE, commission, PRICE - commission)
    look(desktop, axe, shot, "admin-settlements", tablet)

    key_field = desktop.locator("form.run input[name=idempotency_key]")
    assert re.fullmatch(r"[0-9a-f]{32}", key_field.get_attribute("value"))
    desktop.locator("form.run button").click()
    expect(desktop).to_have_url(re.compile(r"/admin/settlements/[0-9a-f-]{36}\?new=1$"))
    expect(desktop.locator("[role=status]")).to_contain_text("La liquidazione è stata eseguita")
    payout = desktop.locator("tbody tr", has_text=name)
    expect(payout).to_contain_text("119,75")
    expect(payout).to_contain_text("3,70")
    look(desktop, axe, shot, "admin-run", tablet)

    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="Scarica il file SEPA (pain.001)").click()
    assert download.value.suggested_filename.endswith(".xml")
    path = tmp_path / "sepa.xml"
    download.value.save_as(path)
    xml = path.read_text()
    xmlschema.XMLSchema(PAIN_001_001_03).validate(xml)  # raises if not pain.001.001.03
    assert "<InstdAmt Ccy=\"EUR\">119.75</InstdAmt>" in xml and IBAN in xml
    after = stack.api("GET", "/settlements/preview", desk.admin)
    assert pid not in {i["provider_id"] for i in after["items"]}  # paid: nothing owed

    desktop.goto("/admin/settlements")  # the run is listed, with its file
    expect(desktop.locator("section[aria-labelledby=runs-h] tbody tr").first).to_contain_text(
        "Scarica")
    axe(desktop)

    # -- the health of the books -------------------------------------------------------------
    park_a_message(stack)
    desktop.locator("nav.sidenav").get_by_role("link", name="Controlli").click()
    expect(desktop.locator("h1")).to_have_text("La salute dei conti")
    expect(desktop.locator(".audit")).to_contain_text("Il registro è in equilibrio.")
    audit = stack.api("GET", "/ledger/audit", desk.admin)
    assert audit["balanced"] is True and audit["sum_cents"] == 0
    look(desktop, axe, shot, "admin-health", tablet)
    replay = desktop.locator("section[aria-labelledby=dead-letters] tr",
                             has_text="operators.probe").locator("button")
    tab_to(desktop, replay.first)  # replayed by the keyboard alone
    desktop.keyboard.press("Enter")
    expect(desktop.locator("[role=status]")).to_contain_text("è tornato al servizio")
    expect(desktop.locator("section[aria-labelledby=dead-letters] tr",
                           has_text="operators.probe")).to_have_count(0)
    axe(desktop)

    desktop.goto("/admin")  # the overview says the same
    expect(desktop.locator(".audit")).to_contain_text("Il registro è in equilibrio.")


def park_a_message(stack: Any) -> None:
    """An event a consumer gave up on, as consumer.park leaves it (for the health page
    to show with its reason and replay)."""
    from kombu import Connection, Queue
    from wecare_common.events import make_envelope
    from wecare_common.topology import dead_letter_exchange, declare_backbone

    amqp = stack.env["AMQP_URI"]
    event = make_envelope("voucher.redeemed", {"id": str(uuid.uuid4())}, producer="wallet",
                          company_id=None)
    with Connection(amqp, transport_options={"confirm_publish": True}) as conn:
        declare_backbone(conn.channel())
        Queue("operators.probe", durable=True).bind(conn.channel()).declare()
        conn.Producer().publish(
            json.dumps(event), exchange=dead_letter_exchange, routing_key="operators.probe",
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            message_id=event["id"], headers={
                "x-wecare-queue": "operators.probe", "x-wecare-attempts": 5,
                "x-wecare-error": "KeyError: 'title'"})
