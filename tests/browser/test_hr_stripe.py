"""The HR manager tops the fund up by card, in a real Chromium at a desk, with
Stripe configured, and without the internet: the wallet talks to the local
Stripe stand-in (tests/support/stripe_standin.py) and the payment page loads
the stand-in's Stripe.js (WECARE_STRIPE_JS_URL), whose Payment Element and
confirmPayment behave as Stripe's do. A declined card is said at the top of
the page and the payment tried again with the keyboard alone; Stripe's signed
`payment_intent.succeeded` webhook (sent here as Stripe would) credits the fund,
and the funding page, following the top-up, says so. Without JavaScript the
card form is not offered: the bank transfer is.

The same stack (one started for this module, with Stripe) serves the change of
a running plan: errors beside the fields in Italian, then the change saved and
the employee's wallet following it. axe finds nothing on any page; pictures in
docs/screenshots/hr-funding-card-*.png and hr-plan-edit-*.png."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from support.browsing import fiscal_code, sign_in, tab_to, vat_number
from support.stripe_standin import StripeStandIn, payment_event, signed

PASSWORD = "hr-stripe-password-1"
WEBHOOK_SECRET = "whsec_browser_" + "b" * 16
PUBLISHABLE_KEY = "pk_test_browser_standin"
AXE_JS = Path(__file__).parent / "vendor/axe-core/axe.min.js"


@pytest.fixture(scope="module")
def stripe() -> Iterator[StripeStandIn]:
    standin = StripeStandIn(threaded=True)  # plain pytest: an OS thread, not eventlet
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def stripe_stack(stack_factory: Any, stripe: StripeStandIn,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """WeCare with Stripe configured against the stand-in, Stripe.js included."""
    with stack_factory(tmp_path_factory.mktemp("stripe-stack"), {
            "STRIPE_API_KEY": "sk_test_browser_standin", "STRIPE_API_BASE": stripe.url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "WECARE_STRIPE_JS_URL": stripe.js_url}) as running:
        yield running


def new_company(stack: Any) -> tuple[str, tuple[str, str], str]:
    """(company id, the HR manager's login, their token)."""
    admin = stack.api.token(*stack.login("admin"))
    suffix = uuid.uuid4().hex[:6]
    hr = (f"hr-{suffix}@carta.example", PASSWORD)
    made = stack.api("POST", "/companies", admin, name=f"Tipografia Verdi {suffix} S.r.l.",
                     vat_number=vat_number(),
                     hr_manager={"email": hr[0], "first_name": "Rita", "last_name": "Verdi",
                                 "password": PASSWORD})
    return made["id"], hr, stack.api.token(*hr)


def axe_all_frames(page: Any, axe: Any) -> None:
    """axe on the page and inside Stripe's frame: axe runs in each frame (as axe's own
    Playwright integration does), or it would wait a minute for frames without it."""
    source = AXE_JS.read_text()
    for frame in page.frames[1:]:
        frame.evaluate("(source) => { (0, eval)(source); }", source)
    axe(page)


def fund(stack: Any, cid: str, token: str) -> int:
    return stack.api("GET", f"/companies/{cid}", token)["fund_balance_cents"]


def test_hr_tops_up_by_card_and_stripe_s_webhook_credits_the_fund(
        stripe_stack, stripe, page_factory, axe, shot, tmp_path) -> None:
    stack = stripe_stack
    cid, hr, token = new_company(stack)
    desktop = page_factory("desktop", base_url=stack.url)
    sign_in(desktop, hr)
    desktop.locator("nav.sidenav").get_by_role("link", name="Ricariche").click()
    card = desktop.locator("section[aria-labelledby=card-h]")
    expect(card).to_be_visible()  # JavaScript runs: the card form is offered
    expect(card.locator("h2")).to_have_text("Ricarica con carta o addebito SEPA")
    expect(desktop.locator("#f-amount")).to_be_visible()  # and the bank transfer still
    axe(desktop)
    shot(desktop, "hr-funding-card-options-1280")

    desktop.fill("#f-card_amount", "2.500,00")
    card.get_by_role("button", name="Continua con il pagamento").click()
    expect(desktop).to_have_url(re.compile(r"/hr/funding/card/[0-9a-f-]+$"))
    expect(desktop.locator("h1")).to_have_text("Versa 2.500,00 € nel fondo aziendale")
    frame = desktop.frame_locator("#payment-element iframe")
    expect(frame.locator("#number")).to_have_value("4242 4242 4242 4242")
    pay = desktop.get_by_role("button", name="Paga 2.500,00 €")
    expect(pay).to_be_enabled()  # once Stripe's element is ready
    expect(desktop.locator("[data-payment-loading]")).to_be_hidden()
    topup = stack.api("GET", f"/companies/{cid}/topups", token)["items"][0]
    assert (topup["method"], topup["status"], topup["amount_cents"]) == ("card", "pending",
                                                                       250_000)
    intent_id = topup["client_secret"].split("_secret_")[0]
    axe_all_frames(desktop, axe)
    shot(desktop, "hr-funding-card-1280")

    # a declined card: Stripe's message at the top, focused; nothing moved
    stripe.declines.append("La carta è stata rifiutata.")
    pay.click()
    alert = desktop.locator("[data-payment-error]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("La carta è stata rifiutata.")
    expect(alert).to_be_focused()
    expect(pay).to_have_text("Paga 2.500,00 €")
    axe_all_frames(desktop, axe)
    shot(desktop, "hr-funding-card-declined-1280")

    # again, with the keyboard alone: Stripe takes it and sends the browser back
    tab_to(desktop, pay)
    desktop.keyboard.press("Enter")
    expect(desktop).to_have_url(re.compile(
        rf"/hr/funding\?topup={topup['id']}&payment_intent={intent_id}&"
        r"payment_intent_client_secret=[^&]+&redirect_status=succeeded"))
    state = desktop.locator("#new-topup [role=status]")
    expect(state).to_contain_text("In attesa di Stripe")
    expect(state).to_contain_text("Stripe sta confermando il pagamento di 2.500,00 €")
    assert fund(stack, cid, token) == 0  # nothing until Stripe says so, signed
    axe(desktop)

    # Stripe's signed webhook, as Stripe sends it once the payment succeeded
    payload, signature = signed(payment_event("payment_intent.succeeded",
                                              stripe.objects[intent_id]), WEBHOOK_SECRET)
    answer = requests.post(f"{stack.url}/api/v1/webhooks/stripe", data=payload, timeout=30,
                           headers={"Stripe-Signature": signature,
                                    "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json()["outcome"] == "credited", answer.text
    # the page follows the top-up by itself (htmx, every 3 s) and says it is in the fund
    expect(state).to_contain_text("Ricevuta", timeout=15_000)
    expect(state).to_contain_text(
        "2.500,00 € sono stati aggiunti al fondo aziendale, che ora contiene 2.500,00 €")
    assert fund(stack, cid, token) == 250_000
    # and the rest of the page with it: the fund's line, the top-up's row
    expect(desktop.locator(".lead")).to_contain_text("Ora è di 2.500,00 €")
    row = desktop.locator(f"#topup-{topup['id']}")
    expect(row).to_contain_text("Carta o addebito SEPA")
    expect(row).to_contain_text("Ricevuta")
    expect(row.get_by_role("link")).to_have_count(0)
    axe(desktop)
    shot(desktop, "hr-funding-card-paid-1280")
    desktop.reload()
    expect(desktop.locator(".lead")).to_contain_text("2.500,00")
    expect(desktop.locator(f"#topup-{topup['id']}")).to_contain_text("Ricevuta")

    # without JavaScript the card form is not offered, the bank transfer is
    plain = page_factory("desktop", base_url=stack.url, java_script_enabled=False)
    sign_in(plain, hr)
    plain.goto("/hr/funding")
    expect(plain.locator("section[aria-labelledby=card-h]")).to_be_hidden()
    expect(plain.locator("#f-amount")).to_be_visible()
    said = plain.locator("noscript").evaluate_all("(all) => all.map(n => n.textContent)")
    assert any("Per pagare con carta o addebito SEPA serve JavaScript" in t for t in said), said
    shot(plain, "no-js-funding", folder=tmp_path)  # looked at, not kept


def _wallet_until(stack: Any, token: str, plan_id: str, until: str) -> dict:
    deadline = time.monotonic() + 15
    while True:
        line = next(p for p in stack.api("GET", "/me/wallet", token)["plans"]
                    if p["plan_id"] == plan_id)
        if line["valid_until"] == until or time.monotonic() > deadline:
            return line
        time.sleep(0.3)


def test_hr_changes_a_running_plan_and_reads_what_it_cannot_do(
        stripe_stack, page_factory, axe, shot) -> None:
    stack = stripe_stack
    cid, hr, token = new_company(stack)
    admin = stack.api.token(*stack.login("admin"))
    login = (f"lia-{uuid.uuid4().hex[:6]}@carta.example", PASSWORD)
    employee = stack.api("POST", f"/companies/{cid}/employees", token, email=login[0],
                         first_name="Lia", last_name="Moro", fiscal_code=fiscal_code("90A41F205"),
                         password=PASSWORD, group="impiegati")
    topup = stack.api("POST", f"/companies/{cid}/topups", token, key=uuid.uuid4().hex,
                      amount_cents=100_000, method="bank_transfer")
    stack.api("POST", f"/topups/{topup['id']}/confirmation", admin)
    today = date.today()
    plan = stack.api("POST", f"/companies/{cid}/plans", token, name="Welfare Verdi",
                     fiscal_year=today.year, valid_from=(today - timedelta(days=30)).isoformat(),
                     valid_until=(today + timedelta(days=60)).isoformat(),
                     categories=["education"], leftover_policy="return_to_fund",
                     per_employee_budget_cents=50_000)
    stack.api("POST", f"/plans/{plan['id']}/grants", token, key=uuid.uuid4().hex,
              amount_cents=30_000, employee_ids=[employee["id"]])

    desktop = page_factory("desktop", base_url=stack.url)
    sign_in(desktop, hr)
    desktop.goto("/hr/plans")
    desktop.locator("tbody tr", has_text="Welfare Verdi").get_by_role(
        "link", name=re.compile("^Modifica")).click()
    expect(desktop.locator("h1")).to_have_text("Modifica «Welfare Verdi»")
    expect(desktop.locator("#f-categories")).to_be_checked()
    expect(desktop.locator("#f-categories")).to_be_disabled()  # kept: added to, not removed
    expect(desktop.locator("#f-budget")).to_have_value("500,00")
    axe(desktop)
    shot(desktop, "hr-plan-edit-1280")

    soon = today + timedelta(days=5)
    desktop.fill("#f-valid_until", soon.isoformat())
    desktop.fill("#f-budget", "200")
    desktop.get_by_role("button", name="Salva le modifiche").click()
    summary = desktop.locator(".error-summary")
    expect(summary).to_be_focused()
    until_error = desktop.locator("#f-valid_until-error")
    expect(until_error).to_contain_text(
        f"Non prima del {(today + timedelta(days=14)).strftime('%d/%m/%Y')}")
    expect(desktop.locator("#f-budget-error")).to_contain_text(
        "Non sotto 300,00 €: a un dipendente è già stato assegnato tanto su questo piano.")
    expect(desktop.locator("#f-budget")).to_have_value("200")  # what was typed, kept
    expect(desktop.locator("#f-valid_until")).to_have_attribute("aria-invalid", "true")
    axe(desktop)
    shot(desktop, "hr-plan-edit-errors-1280")

    later = today + timedelta(days=200)
    desktop.fill("#f-valid_until", later.isoformat())
    desktop.fill("#f-budget", "400,00")
    desktop.check("#category-wellbeing")
    desktop.check("#leftover-roll_over")
    desktop.get_by_role("button", name="Salva le modifiche").click()
    expect(desktop.locator("[role=status]")).to_contain_text("Il piano è stato salvato")
    row = desktop.locator("tbody tr", has_text="Welfare Verdi")
    expect(row).to_contain_text(later.strftime("%d/%m/%Y"))
    expect(row).to_contain_text("Sport, cultura e benessere")
    expect(row).to_contain_text("400,00")
    axe(desktop)

    employee_token = stack.api.token(*login)
    line = _wallet_until(stack, employee_token, plan["id"], later.isoformat())
    assert line["valid_until"] == later.isoformat() and "wellbeing" in line["categories"]
