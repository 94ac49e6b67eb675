"""What welfare is worth, and a performance bonus chosen, in a real Chromium, in Italian and
in English (issue 25): HR offers a 1,000 € bonus at a desk; the employee, on a phone,
compares cash and welfare and converts 60% with the slider (a plain form: no script is
needed); the deadline passes (the stack's clock is moved: every process reads the same
WECARE_CLOCK_FILE); the wallet shows 600 € of credit and its worth in salary terms, and the
payroll report 400 € in cash with its substitute tax. axe finds nothing on any page; the
Italian run photographs the home's worth line and the choice into docs/screenshots/."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from support.browsing import fiscal_code, sign_in, vat_number, wait_until

PASSWORD = "worth-journey-password-1"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
TEXT = {
    "it": {"locale": "it-IT", "offer": "Offri un premio di risultato",
           "do_offer": "Offri il premio",
           "compare": "Confronta", "choose": "Scegli questa ripartizione",
           "split": "Denaro o welfare: 600,00\xa0€ in welfare", "saved": "Salvato: 600,00\xa0€",
           "worth": "Il tuo credito vale circa", "paid": "Pagato", "money": "{:,.2f}\xa0€",
           "all_cash": "Tutto in denaro, 1.000,00\xa0€ ti arriverebbero come",
           "pension": "non si versano contributi pensionistici",
           "report": "Premi di risultato pagati nel"},
    "en": {"locale": "en-GB", "offer": "Offer a performance bonus",
           "do_offer": "Offer the bonus",
           "compare": "Compare", "choose": "Choose this split",
           "split": "Cash or welfare: €600.00 as welfare", "saved": "Saved: €600.00",
           "worth": "Your credit is worth about", "paid": "Paid", "money": "€{:,.2f}",
           "all_cash": "All in cash, €1,000.00 would reach you as",
           "pension": "no pension contributions are paid",
           "report": "Performance bonuses paid in"},
}


def money(lang: str, cents: int) -> str:
    text = TEXT[lang]["money"].format(cents / 100)
    return text.replace(",", "#").replace(".", ",").replace("#", ".") if lang == "it" else text


def share(cents: int, bps: int) -> int:
    return (cents * bps * 2 + 10_000) // 20_000


def offer_window(today: date) -> tuple[int, date]:
    """(the plan's fiscal year, a deadline five days ahead or early next January)."""
    deadline = today + timedelta(days=5)
    if deadline < date(today.year, 12, 31):
        return today.year, deadline
    return today.year + 1, date(today.year + 1, 1, 10)


def phone_shot(shot: Any, page: Any, name: str) -> None:
    """The whole page in one picture, tall enough that the tab bar (fixed at the bottom
    of the screen) sits below the content, as a person scrolling to the end sees it."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 360, "height": height + 80})
    shot(page, name)
    page.set_viewport_size(PHONE["viewport"])


@pytest.mark.parametrize("lang", ["it", "en"])
def test_hr_offers_the_employee_converts_60_percent_and_the_deadline_pays_it(
        stack: Any, page_factory: Any, move_clock: Any, axe: Any, shot: Any,
        lang: str) -> None:
    t = TEXT[lang]
    # -- a company of this test's own: HR, an eligible employee, a funded plan -----------
    admin = stack.api.token(*stack.login("admin"))
    suffix = uuid.uuid4().hex[:6]
    hr = (f"hr-{suffix}@premio.example", PASSWORD)
    made = stack.api("POST", "/companies", admin, name=f"Officina {suffix} S.r.l.",
                     vat_number=vat_number(), hr_manager={
                         "email": hr[0], "first_name": "Marta", "last_name": "Bruni",
                         "password": PASSWORD})
    hr_token = stack.api.token(*hr)
    person = (f"anna-{suffix}@premio.example", PASSWORD)
    stack.api("POST", f"/companies/{made['id']}/employees", hr_token, email=person[0],
              first_name="Anna", last_name="Blu", fiscal_code=fiscal_code("90A41F205"),
              income_band="up_to_80k", language=lang, password=PASSWORD)
    topup = stack.api("POST", f"/companies/{made['id']}/topups", hr_token,
                      key=uuid.uuid4().hex, amount_cents=100_000, method="bank_transfer")
    stack.api("POST", f"/topups/{topup['id']}/confirmation", admin)
    year, deadline = offer_window(datetime.now(ZoneInfo("Europe/Rome")).date())
    plan = stack.api("POST", f"/companies/{made['id']}/plans", hr_token,
                     name=f"Welfare {year}", fiscal_year=year,
                     valid_from=date.today().isoformat(),
                     valid_until=(deadline + timedelta(days=90)).isoformat(),
                     categories=["education", "wellbeing", "fringe"],
                     leftover_policy="return_to_fund")
    rules = stack.api("GET", f"/fiscal-rules?year={year}")
    tax_bps = rules["performance_bonus"]["substitute_tax_bps"]

    # -- HR offers it, at a desk ----------------------------------------------------------
    desk = page_factory("desktop", base_url=stack.url, locale=t["locale"])
    sign_in(desk, hr)
    desk.goto("/hr/bonus-offers")
    axe(desk)
    desk.get_by_role("link", name=t["offer"]).click()
    expect(desk.locator("h1")).to_have_text(t["offer"])
    desk.fill("#f-name", "Premio di risultato 2025")
    desk.fill("#f-agreement", "Accordo aziendale del 12/02/2026")
    desk.fill("#f-amount", "1.000,00" if lang == "it" else "1000.00")
    desk.fill("#f-deadline", deadline.isoformat())
    desk.select_option("#f-plan_id", plan["id"])
    axe(desk)
    if lang == "it":
        shot(desk, "hr-bonus-offer-new-1280")
    desk.get_by_role("button", name=t["do_offer"]).click()
    expect(desk).to_have_url(re.compile(r"/hr/bonus-offers/[0-9a-f-]+\?new=1$"))
    expect(desk.locator("table tbody tr")).to_have_count(1)
    offer_url = desk.url.split("?")[0]
    offer_id = offer_url.rsplit("/", 1)[1]

    # -- the employee compares and converts 60%, on a phone -----------------------------
    phone = page_factory("phone", base_url=stack.url, locale=t["locale"], **PHONE)
    sign_in(phone, person)
    expect(phone.locator(f'a[href="/bonus/{offer_id}"]')).to_be_visible()
    phone.locator(f'a[href="/bonus/{offer_id}"]').click()
    expect(phone.locator("#comparison")).to_contain_text(t["all_cash"])
    expect(phone.locator("#comparison")).to_contain_text(money(lang, 89_902 if tax_bps == 100
                                                               else 100_000 - 9_190 - share(
                                                                   90_810, tax_bps)))
    axe(phone)
    phone.fill("#f-percent", "60")  # the slider, as a keyboard or a finger sets it
    phone.get_by_role("button", name=t["compare"]).click()
    expect(phone.locator("#comparison h2")).to_have_text(t["split"])
    cash_net = 40_000 - 3_676 - share(36_324, tax_bps)
    expect(phone.locator("#comparison")).to_contain_text(money(lang, cash_net))
    expect(phone.locator("#comparison")).to_contain_text(t["pension"])
    expect(phone.locator("#f-percent")).to_have_value("60")
    axe(phone)
    if lang == "it":
        phone_shot(shot, phone, "employee-bonus-choice")
    phone.get_by_role("button", name=t["choose"]).click()
    expect(phone.locator("[role=status]")).to_contain_text(t["saved"])
    chosen = stack.api("GET", f"/companies/{made['id']}/bonus-offers/{offer_id}", hr_token)
    assert chosen["employees"][0]["welfare_cents"] == 60_000

    # -- the deadline passes -------------------------------------------------------------
    now = datetime.now(ZoneInfo("Europe/Rome"))
    midnight = datetime.combine(deadline + timedelta(days=1), datetime.min.time(),
                                tzinfo=ZoneInfo("Europe/Rome"))
    move_clock(midnight - now + timedelta(minutes=5))
    wait_until(lambda: stack.api("GET", f"/companies/{made['id']}/bonus-offers/{offer_id}",
                                 hr_token)["status"] == "settled", "the offer settled", 30)

    # the wallet: 600 € of credit, and what it is worth in salary terms
    phone.goto("/home")
    expect(phone.locator(".balance-card__amount")).to_have_text(money(lang, 60_000))
    expect(phone.locator("#worth-line")).to_contain_text(t["worth"])
    expect(phone.locator(".worth")).to_contain_text(money(lang, 60_000))
    axe(phone)
    if lang == "it":
        phone_shot(shot, phone, "employee-home-worth")
    phone.goto(f"/bonus/{offer_id}")
    expect(phone.locator("#comparison")).to_contain_text(money(lang, 40_000))
    axe(phone)
    phone.goto(f"/worth/{year}")
    expect(phone.locator("main")).to_contain_text(money(lang, 60_000))
    axe(phone)

    # the payroll report: 400 € in cash with its substitute tax
    desk.goto(offer_url)
    expect(desk.locator(".facts")).to_contain_text(t["paid"])
    desk.goto(f"/hr/report?year={year}")
    expect(desk.locator("#report-bonus-h")).to_contain_text(t["report"])
    row = desk.locator("table:has(#report-t2) tbody tr").first
    expect(row).to_contain_text("Blu Anna")
    expect(row).to_contain_text(money(lang, 40_000))
    expect(row).to_contain_text(money(lang, 3_676))
    expect(row).to_contain_text(money(lang, share(36_324, tax_bps)))
    axe(desk)
    if lang == "it":
        shot(desk, "hr-report-bonus-1280")

    # -- the employee's own income: it shapes their figures, and HR's pages never show it --
    phone.goto("/worth/income")
    axe(phone)
    phone.fill("#f-income", "45.678,90" if lang == "it" else "45678.90")
    phone.locator("main form button[type=submit]").first.click()
    expect(phone.locator("[role=status]")).to_be_visible()
    income = "45.678,90" if lang == "it" else "45,678.90"
    phone.goto("/worth/how")
    expect(phone.locator("main")).to_contain_text(income)
    axe(phone)
    if lang == "it":
        phone_shot(shot, phone, "employee-worth-how")
    phone.goto("/statement")
    expect(phone.locator("#year-worth-line")).to_contain_text(money(lang, 60_000))
    axe(phone)
    people = stack.api("GET", f"/companies/{made['id']}/employees", hr_token)["items"]
    for path in ("/hr", "/hr/employees", f"/hr/employees/{people[0]['id']}",
                 f"/hr/bonus-offers/{offer_id}", f"/hr/report?year={year}", "/hr/estimates"):
        desk.goto(path)
        seen = desk.content()
        assert "45.678" not in seen and "45,678" not in seen and "4567890" not in seen, path
