"""The HR manager's console at a desk (1280 px, and a 768 px tablet), in a real
Chromium, as issue 12's journey has it: HR signs in, imports a CSV file with
two bad rows (sees both with their reasons, nothing is written), fixes it and
imports it, creates a plan, tops the fund up by bank transfer (sees the
reference to quote; the operator's confirmation goes through the API here),
grants to everyone with the keyboard alone, and the employees' wallets show
it; HR refuses a reimbursement with a reason (required: refusing without one
is said beside the field) and the employee sees it. axe finds nothing on any
page; each page is photographed into docs/screenshots/hr-*.png at both widths."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import segno
from playwright.sync_api import expect
from support.browsing import fiscal_code, look, sign_in, tab_to, vat_number

PASSWORD = "hr-journey-password-1"
TABLET = {"viewport": {"width": 768, "height": 1024}, "has_touch": True}
GRANT_CENTS = 15_000  # 150,00 € each


@dataclass
class Company:
    id: str
    name: str
    hr: tuple[str, str]  # email, password
    hr_token: str
    employee: dict  # added through the API, with a password: asks for a reimbursement
    employee_login: tuple[str, str]


@pytest.fixture(scope="module")
def company(stack: Any) -> Company:
    admin = stack.api.token(*stack.login("admin"))
    suffix = uuid.uuid4().hex[:6]
    hr = (f"hr-{suffix}@giornata.example", PASSWORD)
    name = f"Falegnameria Bruni {suffix} S.r.l."
    made = stack.api("POST", "/companies", admin, name=name, vat_number=vat_number(),
                     hr_manager={"email": hr[0], "first_name": "Marta", "last_name": "Bruni",
                                 "password": PASSWORD})
    token = stack.api.token(*hr)
    login = (f"piero-{suffix}@giornata.example", PASSWORD)
    employee = stack.api("POST", f"/companies/{made['id']}/employees", token, email=login[0],
                         first_name="Piero", last_name="Aldi", fiscal_code=fiscal_code("90A41F205"),
                         password=PASSWORD)
    return Company(made["id"], name, hr, token, employee, login)


def csv_file(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    header = "codice_fiscale;nome;cognome;email;gruppo;fascia_reddito"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def receipt_png() -> bytes:
    buffer = io.BytesIO()
    segno.make("Ricevuta: Asilo Il Girasole, 80,00 EUR").save(buffer, kind="png", scale=6)
    return buffer.getvalue()


def test_hr_imports_plans_funds_grants_and_decides(stack, company, desktop, page_factory,
                                                   axe, shot, tmp_path) -> None:
    tablet = page_factory("desktop", base_url=stack.url, **TABLET)
    sign_in(desktop, company.hr)
    sign_in(tablet, company.hr)
    expect(desktop).to_have_url(re.compile(r"/hr$"))
    expect(desktop.locator("h1")).to_have_count(1)
    expect(desktop.locator("h1")).to_contain_text(company.name)
    expect(desktop.locator("nav.sidenav a[aria-current=page]")).to_have_text("Cruscotto")
    look(desktop, axe, shot, "hr-dashboard-empty")

    # -- the import: two bad rows, both said with their reason, nothing written --------------
    suffix = uuid.uuid4().hex[:6]
    good = [fiscal_code("90A41F205") for _ in range(3)]
    people = [(good[0], "Anna", "Blu", f"anna-{suffix}@giornata.example", "impiegati",
               "up_to_80k"),
              (good[1], "Luca", "Verdi", f"luca-{suffix}@giornata.example", "operai", ""),
              (good[2], "Eva", "Neri", f"eva-{suffix}@giornata.example", "impiegati", "")]
    rows = [";".join(p) for p in people]
    broken = rows.copy()
    broken[1] = broken[1].replace(good[1], good[1][:-1] + ("A" if good[1][-1] != "A" else "B"))
    broken[2] = broken[2].replace(people[2][3], "eva-at-giornata.example")
    desktop.locator("nav.sidenav").get_by_role("link", name="Dipendenti").click()
    expect(desktop.locator("h1")).to_have_text("Dipendenti")
    look(desktop, axe, shot, "hr-employees-empty")
    desktop.get_by_role("link", name="Importa da un file").click()
    expect(desktop.locator("h1")).to_have_text("Importa i dipendenti da un file")
    look(desktop, axe, shot, "hr-import", tablet)
    desktop.set_input_files("#f-file", csv_file(tmp_path, "dipendenti.csv", broken))
    desktop.get_by_role("button", name="Controlla il file").click()
    expect(desktop.locator("h1")).to_have_text("Problemi nel file")
    summary = desktop.locator(".error-summary")
    expect(summary).to_contain_text("2 righe non possono essere importate")
    expect(summary).to_contain_text("Non è stato importato nulla")
    problems = desktop.locator("#import-area table tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("3")
    expect(problems.nth(0)).to_contain_text("Inserisci un codice fiscale valido")
    expect(problems.nth(1)).to_contain_text("4")
    expect(problems.nth(1)).to_contain_text("email")
    shot(desktop, "hr-import-problems-1280")
    axe(desktop)
    table = stack.api("GET", f"/companies/{company.id}/employees", company.hr_token)
    assert [e["id"] for e in table["items"]] == [company.employee["id"]]  # nothing written

    desktop.set_input_files("#f-file", csv_file(tmp_path, "dipendenti-corretto.csv", rows))
    desktop.get_by_role("button", name="Controlla il file").click()
    expect(desktop.locator("h1")).to_have_text("Pronto da importare")
    expect(desktop.locator("#import-area table tbody tr")).to_have_count(3)
    look(desktop, axe, shot, "hr-import-ready")
    desktop.get_by_role("button", name="Importa questi 3 dipendenti").click()
    expect(desktop).to_have_url(re.compile(r"/hr/employees\?done=imported&n=3$"))
    expect(desktop.locator("[role=status]").first).to_contain_text(
        "3 dipendenti sono stati importati e invitati via email")
    expect(desktop.locator(".table-count")).to_contain_text("4 dipendenti")
    expect(desktop.locator("tbody tr", has_text="Blu Anna")).to_contain_text(
        "Invitato, senza password")
    look(desktop, axe, shot, "hr-employees", tablet)
    desktop.fill("#f-q", "verdi")  # searched on the server (htmx swaps the table)
    expect(desktop.locator(".table-count")).to_contain_text("1 dipendente")
    expect(desktop.locator("#employee-table tbody tr")).to_have_count(1)

    # -- a plan, with what the law allows in each category --------------------------------
    year = date.today().year
    desktop.locator("nav.sidenav").get_by_role("link", name="Piani").click()
    desktop.get_by_role("link", name="Crea un piano").first.click()
    expect(desktop.locator("h1")).to_have_text("Crea un piano")
    fringe = desktop.locator("#category-fringe-hint")
    expect(fringe).to_contain_text("1.000,00")  # the year's fringe limit, from fiscal-rules
    expect(fringe).to_contain_text("TUIR art. 51 c.3")
    look(desktop, axe, shot, "hr-plan-new", tablet)
    desktop.fill("#f-name", f"Welfare {year} Bruni")
    desktop.check("#f-categories")  # education
    desktop.check("#category-wellbeing")
    desktop.get_by_role("button", name="Crea il piano").click()
    expect(desktop.locator("[role=status]")).to_contain_text("Il piano è stato creato")
    expect(desktop.locator("tbody tr", has_text=f"Welfare {year} Bruni")).to_contain_text(
        f"31/12/{year}")
    look(desktop, axe, shot, "hr-plans", tablet)

    # -- money in: a bank transfer, the reference to quote ---------------------------------
    desktop.locator("nav.sidenav").get_by_role("link", name="Ricariche").click()
    key = desktop.locator("form input[name=idempotency_key]").get_attribute("value")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    desktop.fill("#f-amount", "1.000,00")
    desktop.get_by_role("button", name="Ottieni i dati del bonifico").click()
    reference = desktop.locator("[data-reference]").inner_text().strip()
    assert re.fullmatch(r"WC-[0-9A-Z]{5}-[0-9A-Z]{5}", reference), reference
    expect(desktop.locator("#new-topup")).to_contain_text("1.000,00")
    expect(desktop.locator("tbody tr", has_text=reference)).to_contain_text(
        "In attesa del bonifico")
    look(desktop, axe, shot, "hr-funding", tablet)
    topups = stack.api("GET", f"/companies/{company.id}/topups", company.hr_token)["items"]
    topup = next(t for t in topups if t["bank_reference"] == reference)
    admin = stack.api.token(*stack.login("admin"))  # the operator confirms it (their console)
    stack.api("POST", f"/topups/{topup['id']}/confirmation", admin)
    desktop.reload()
    expect(desktop.locator("tbody tr", has_text=reference)).to_contain_text("Ricevuta")
    expect(desktop.locator(".lead")).to_contain_text("1.000,00")

    # -- the grant to everyone, with the keyboard alone ------------------------------------
    desktop.locator("nav.sidenav").get_by_role("link", name="Assegnazioni").click()
    expect(desktop.locator("h1")).to_have_text("Assegna credito")
    expect(desktop.locator("#bonus-rules")).to_contain_text("80.000,00")  # eligibility, said
    look(desktop, axe, shot, "hr-grants", tablet)
    tab_to(desktop, desktop.locator("#f-amount"))
    desktop.keyboard.type("150")
    expect(desktop.locator("#f-who")).to_be_checked()  # everyone eligible
    tab_to(desktop, desktop.get_by_role("button", name="Controlla l'assegnazione"))
    desktop.keyboard.press("Enter")
    expect(desktop.locator("h1")).to_have_text("Controlla l'assegnazione")
    expect(desktop.locator("dl.facts")).to_contain_text("600,00")  # 4 people × 150,00
    look(desktop, axe, shot, "hr-grant-check")
    send = desktop.get_by_role("button", name=re.compile(r"Assegna 600,00.€ a 4 persone"))
    tab_to(desktop, send)
    desktop.keyboard.press("Enter")
    expect(desktop.locator("h1")).to_have_text("Credito assegnato")
    expect(desktop.locator("[role=status]")).to_contain_text("600,00")
    result = desktop.locator("tbody tr")
    expect(result).to_have_count(4)
    expect(result.filter(has_text="Anna Blu")).to_contain_text("Accreditato")
    look(desktop, axe, shot, "hr-grant-done")

    # -- the employees' wallets show it -------------------------------------------------------
    token = stack.api.token(*company.employee_login)
    wallet = stack.api("GET", "/me/wallet", token)
    assert wallet["total_cents"] == GRANT_CENTS
    assert [p["name"] for p in wallet["plans"]] == [f"Welfare {year} Bruni"]
    invited = people[0][3]  # imported: sets a password from the emailed link
    mail = stack.mail.wait_for(lambda m: m["To"] == invited and "invitat" in m["Subject"])[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link_token = re.search(r"token=([\w-]+)", text)[1]
    anna = requests.post(f"{stack.url}/api/v1/auth/password", timeout=30,
                         json={"token": link_token, "password": PASSWORD}).json()
    assert stack.api("GET", "/me/wallet", anna["access_token"])["total_cents"] == GRANT_CENTS
    employee_page = page_factory("phone", base_url=stack.url)
    sign_in(employee_page, company.employee_login)
    expect(employee_page.locator("main")).to_contain_text("150,00")

    gym = next(o for o in stack.api("GET", "/offerings?category=wellbeing",
                                    anna["access_token"])["items"]
               if o["price_cents"] == GRANT_CENTS)  # the demo's quarterly gym pass
    stack.api("POST", "/me/vouchers", anna["access_token"], key=uuid.uuid4().hex,
              offering_id=gym["id"])

    desktop.locator("nav.sidenav").get_by_role("link", name="Cruscotto").click()
    stats = desktop.locator(".stats")
    expect(stats).to_contain_text("400,00")  # the fund after the grant
    expect(stats).to_contain_text("600,00")  # granted this year
    expect(stats).to_contain_text("150,00")  # spent: Anna's gym pass
    category = desktop.locator("section[aria-labelledby=category-h]")
    expect(category.locator("svg[role=img]")).to_have_count(1)  # the chart, and its table
    expect(category.locator("tbody tr", has_text="Sport, cultura e benessere")).to_contain_text(
        "150,00")
    expect(desktop.locator("section[aria-labelledby=held-h]")).to_contain_text(
        f"Welfare {year} Bruni")
    look(desktop, axe, shot, "hr-dashboard", tablet)

    # -- a reimbursement refused, with the reason the employee reads ---------------------------
    r = requests.post(f"{stack.url}/api/v1/me/reimbursements", timeout=30, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}, data={
        "amount_cents": "8000", "category": "education", "spent_on": date.today().isoformat(),
        "provider_tax_id": "45678900049",
        "beneficiary_fiscal_code": company.employee["fiscal_code"]},
        files={"receipt": ("ricevuta.png", receipt_png(), "image/png")})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    desktop.locator("nav.sidenav").get_by_role("link", name="Rimborsi").click()
    request = desktop.locator(f"#r-{rid}")
    expect(request).to_contain_text("Piero Aldi chiede 80,00")
    receipt = request.locator(".request__receipt img")
    expect(receipt).to_be_visible()
    assert receipt.evaluate("(img) => img.complete && img.naturalWidth > 0")
    look(desktop, axe, shot, "hr-reimbursements", tablet)
    request.get_by_role("button", name=re.compile("^Rifiuta")).click()
    expect(desktop.locator(".error-summary")).to_contain_text("Spiega perché rifiuti")
    expect(desktop.locator(f"#f-reason-{rid}-error")).to_be_visible()
    axe(desktop)
    reason = "La ricevuta non mostra il pagamento."
    desktop.fill(f"#f-reason-{rid}", reason)
    desktop.locator(f"#r-{rid}").get_by_role("button", name=re.compile("^Rifiuta")).click()
    expect(desktop.locator("[role=status]")).to_contain_text("Rifiutato")
    expect(desktop.locator(f"#r-{rid}")).to_have_count(0)
    mine = stack.api("GET", "/me/reimbursements", token)["items"]
    refused = next(i for i in mine if i["id"] == rid)
    assert (refused["status"], refused["reason"]) == ("rejected", reason)
    assert stack.api("GET", "/me/wallet", token)["total_cents"] == GRANT_CENTS  # back in full
    desktop.get_by_role("link", name="Rifiutato").click()
    expect(desktop.locator(f"#r-{rid}")).to_contain_text(reason)
    axe(desktop)

    # -- the payroll report, on screen and as CSV ----------------------------------------------
    desktop.locator("nav.sidenav").get_by_role("link", name="Report per le paghe").click()
    expect(desktop.locator("h1")).to_have_text(f"Report per le paghe {year}")
    look(desktop, axe, shot, "hr-report", tablet)
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="Scarica il CSV per le paghe").click()
    assert download.value.suggested_filename.endswith(f"-{year}.csv")
    path = tmp_path / "report.csv"
    download.value.save_as(path)
    assert path.read_text().startswith("employee_id;fiscal_code;last_name;first_name")
