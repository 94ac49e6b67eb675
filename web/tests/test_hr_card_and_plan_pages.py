"""HR's funding by card or SEPA Direct Debit (Stripe's Payment Element) and the
change of a running plan, without any server: each page rendered from canned
API answers, what each form sends, where Stripe is let in (the payment page's
policy, and no other's), and a refused change said beside its field in the
person's language."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from web.client import ApiError
from web.pages.hr import HR_TEXTS
from web.pages.hr_funding import HrFundingPages
from web.pages.hr_plans import HrPlanPages
from web.routing import Page
from wecare_common.contract import refusals as R
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

CID, TID, PID = "c-1", "t-1", "p-1"
CLAIMS = base64.urlsafe_b64encode(json.dumps(
    {"role": "hr", "company_id": CID, "exp": 4_000_000_000}).encode()).decode().rstrip("=")
TOKEN = f"x.{CLAIMS}.y"
SECRET = "pi_123_secret_456"
TODAY = date.today()


class FakePage(Page):
    """A request to a page whose API answers are canned: {(method, path): answer}
    (an exception is raised, a callable gets the call's kwargs)."""

    def __init__(self, answers: dict[tuple[str, str], Any], method: str = "GET",
                 path: str = "/hr/funding", form: dict[str, str] | None = None,
                 query: dict[str, str] | None = None, lang: str = "en",
                 htmx: bool = False) -> None:
        headers = {"Cookie": f"wecare_at={TOKEN}; wecare_csrf=c; wecare_lang={lang}"}
        if htmx:
            headers["HX-Request"] = "true"
        builder = EnvironBuilder(method=method, path=path, data=form, query_string=query,
                                 headers=headers)
        super().__init__(Request(builder.get_environ()))
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path, kwargs))
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        return answer(kwargs) if callable(answer) else answer

    api_anonymous = api


def topup(status: str = "pending", method: str = "card", **extra: Any) -> dict[str, Any]:
    view = {"id": TID, "company_id": CID, "amount_cents": 250_000, "method": method,
            "status": status, "created_at": "2026-03-01T09:00:00+00:00", **extra}
    if method == "card":
        view["client_secret"] = SECRET
    else:
        view.update(bank_reference="WC-ABCDE-FGHJK",
                    pay_to={"name": "WeCare", "iban": "IT60X0542811101000000123456",
                            "bic": "BPMOIT22XXX"})
    return view


CARD = {"bank_transfer": True, "card_available": True, "stripe_publishable_key": "pk_test_1",
        "card_methods": ["card", "sepa_debit"]}
NO_CARD = {**CARD, "card_available": False, "stripe_publishable_key": None,
           "card_methods": []}


def funding(options: dict[str, Any] = CARD, *topups: dict[str, Any],
            balance: int = 100_000) -> dict[tuple[str, str], Any]:
    return {("GET", f"/companies/{CID}"): {"id": CID, "name": "Officine Rossi",
                                           "fund_balance_cents": balance},
            ("GET", f"/companies/{CID}/topups"): {"items": list(topups), "next_cursor": None},
            ("GET", f"/companies/{CID}/funding-options"): options}


class HrPages(HrFundingPages, HrPlanPages):
    pass


pages = HrPages()


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def assert_well_formed(html: str) -> None:
    """One h1; every form that posts carries the CSRF token; nothing inline."""
    assert html.count("<h1") == 1
    for form in re.findall(r'<form method="post".*?</form>', html, re.S):
        assert 'name="csrf_token" value="c"' in form, form
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


def csp(response: Any) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


# -- funding -------------------------------------------------------------------------------
def test_without_stripe_the_page_says_so_and_offers_the_bank_transfer() -> None:
    response = pages.hr_funding(FakePage(funding(NO_CARD)))
    html = html_of(response)
    assert "Card and SEPA direct debit payments are not available" in html
    assert "/hr/funding/card" not in html and 'action="/hr/funding"' in html
    assert csp(response)["script-src"] == ["'self'"]
    assert_well_formed(html)


def test_an_api_that_does_not_know_funding_options_means_a_bank_transfer() -> None:
    answers = {**funding(), ("GET", f"/companies/{CID}/funding-options"): ApiError(
        404, "not_found", "no route")}
    assert "not available" in html_of(pages.hr_funding(FakePage(answers)))


def test_with_stripe_the_card_form_shows_where_javascript_runs_and_stripe_stays_out() -> None:
    response = pages.hr_funding(FakePage(funding(CARD)))
    html = html_of(response)
    section = re.search(r'<section aria-labelledby="card-h" data-js-only hidden>.*?</section>',
                        html, re.S)[0]
    assert 'action="/hr/funding/card"' in section and 'name="idempotency_key"' in section
    assert 'id="f-card_amount"' in section and "<noscript>" in html
    assert 'id="f-amount"' in html  # the bank transfer, still there
    policy = csp(response)
    assert policy["script-src"] == ["'self'"] and "frame-src" not in policy  # only the payment page
    assert_well_formed(html)


def test_a_card_top_up_is_asked_with_its_key_then_paid_on_the_next_page() -> None:
    page = FakePage({("POST", f"/companies/{CID}/topups"): topup()}, method="POST",
                    path="/hr/funding/card", form={"card_amount": "2.500,00",
                                                   "idempotency_key": "k1", "csrf_token": "c"},
                    lang="it")
    response = pages.hr_card_topup(page)
    assert response.status_code == 303 and response.headers["Location"] == (
        f"/hr/funding/card/{TID}")
    assert page.calls == [("POST", f"/companies/{CID}/topups", {
        "key": "k1", "json": {"amount_cents": 250_000, "method": "card"}})]


def test_a_wrong_amount_is_said_beside_the_card_field() -> None:
    page = FakePage(funding(CARD), method="POST", path="/hr/funding/card",
                    form={"card_amount": "abc", "idempotency_key": "k1", "csrf_token": "c"})
    response = pages.hr_card_topup(page)
    html = html_of(response)
    assert response.status_code == 400 and 'href="#f-card_amount"' in html
    assert 'id="f-card_amount-error"' in html and 'value="abc"' in html
    assert not [c for c in page.calls if c[0] == "POST"]
    assert_well_formed(html)


def test_the_payment_page_lets_stripe_in_and_hands_it_the_intent(monkeypatch) -> None:
    monkeypatch.delenv("WECARE_STRIPE_JS_URL", raising=False)
    response = pages.hr_card_payment(FakePage(funding(CARD, topup()), lang="it",
                                              path=f"/hr/funding/card/{TID}"), TID)
    html = html_of(response)
    assert response.status_code == 200
    assert '<script src="https://js.stripe.com/v3/" defer></script>' in html
    assert f'data-secret="{SECRET}"' in html and 'data-key="pk_test_1"' in html
    assert f'data-return="/hr/funding?topup={TID}"' in html and 'data-locale="it"' in html
    assert "Paga 2.500,00" in html
    policy = csp(response)
    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert "https://hooks.stripe.com" in policy["frame-src"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert policy["style-src"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert_well_formed(html)


def test_a_stand_in_of_stripe_js_is_let_in_by_its_own_origin(monkeypatch) -> None:
    monkeypatch.setenv("WECARE_STRIPE_JS_URL", "http://127.0.0.1:4999/v3/")
    response = pages.hr_card_payment(FakePage(funding(CARD, topup())), TID)
    assert '<script src="http://127.0.0.1:4999/v3/" defer>' in html_of(response)
    policy = csp(response)
    for directive in ("script-src", "frame-src", "connect-src"):
        assert "http://127.0.0.1:4999" in policy[directive]
    assert not [s for sources in policy.values() for s in sources if "stripe.com" in s]


def test_a_paid_top_up_or_one_without_stripe_does_not_ask_for_payment() -> None:
    paid = pages.hr_card_payment(FakePage(funding(CARD, topup("succeeded"))), TID)
    assert paid.status_code == 303 and paid.headers["Location"].startswith(
        f"/hr/funding?topup={TID}")
    off = pages.hr_card_payment(FakePage(funding(NO_CARD, topup())), TID)
    assert off.headers["Location"] == "/hr/funding"
    with pytest.raises(ApiError):
        pages.hr_card_payment(FakePage(funding(CARD, topup(method="bank_transfer"))), TID)


def test_back_from_stripe_the_page_follows_the_top_up_until_it_is_credited() -> None:
    back = {"topup": TID, "payment_intent": "pi_123", "redirect_status": "succeeded"}
    html = html_of(pages.hr_funding(FakePage(funding(CARD, topup()), query=back)))
    state = re.search(r'<div role="status">\s*<div id="topup-state"[^>]*>', html)[0]
    assert f'hx-get="/hr/funding/topups/{TID}"' in state and 'hx-trigger="every 3s"' in state
    assert "Stripe is confirming the payment of €2,500.00" in html
    # the fragment htmx asks for: the final state ends the polling
    fragment = html_of(pages.hr_topup_state(FakePage(
        funding(CARD, topup("succeeded"), balance=350_000), htmx=True,
        path=f"/hr/funding/topups/{TID}"), TID))
    assert fragment.startswith('<div id="topup-state">') and "hx-trigger" not in fragment
    assert "€2,500.00 were added to the company fund, which now holds €3,500.00." in fragment
    # and the rest of the page agrees: the fund's line and the top-up's row, out of band
    assert '<p class="lead" id="fund-lead" hx-swap-oob="true">' in fragment
    assert "It is €3,500.00 now." in fragment
    row = re.search(rf'<template><tr id="topup-{TID}" hx-swap-oob="true">.*?</tr>', fragment,
                    re.S)[0]
    assert "Received" in row and "/hr/funding/card/" not in row
    waiting = html_of(pages.hr_topup_state(FakePage(funding(CARD, topup()), htmx=True), TID))
    assert 'hx-trigger="every 3s"' in waiting and "hx-swap-oob" not in waiting
    # a refusal on Stripe's side: said, with a way to try again
    failed = html_of(pages.hr_funding(FakePage(funding(CARD, topup()), query={
        "topup": TID, "redirect_status": "failed"})))
    assert "Nothing was charged" in failed and f'href="/hr/funding/card/{TID}"' in failed
    assert 'hx-trigger="every 3s"' not in failed
    without_js = pages.hr_topup_state(FakePage(funding(CARD, topup())), TID)
    assert without_js.status_code == 303


def test_the_table_names_the_method_and_offers_to_pay_what_is_not_paid() -> None:
    html = html_of(pages.hr_funding(FakePage(funding(CARD, topup("failed")), lang="it")))
    row = re.search(r"<tbody>.*?</tbody>", html, re.S)[0]
    assert "Carta o addebito SEPA" in row and "Pagamento non riuscito" in row
    assert f'href="/hr/funding/card/{TID}"' in row and "Riprova" in row


# -- changing a plan ---------------------------------------------------------------------------
RULES = {"year": TODAY.year, "listed": True,
         "fringe": {"limit_cents": 100_000, "limit_with_children_cents": 200_000},
         "categories": [{"category": c, "cash_reimbursable": c != "wellbeing",
                         "yearly_limit_cents": None, "legal_basis": "TUIR art. 51"}
                        for c in ("education", "wellbeing", "fringe")]}


def plan(**extra: Any) -> dict[str, Any]:
    return {"id": PID, "company_id": CID, "name": "Welfare", "fiscal_year": TODAY.year,
            "valid_from": (TODAY - timedelta(days=30)).isoformat(),
            "valid_until": (TODAY + timedelta(days=90)).isoformat(),
            "categories": ["education"], "target_groups": ["impiegati", "operai"],
            "per_employee_budget_cents": 50_000, "leftover_policy": "return_to_fund",
            "version": 1, "created_at": "2026-01-01T09:00:00+00:00", **extra}


def plans(*items: dict[str, Any], patch: Any = None) -> dict[tuple[str, str], Any]:
    answers = {("GET", f"/companies/{CID}/plans"): {"items": list(items), "next_cursor": None},
               ("GET", "/fiscal-rules"): RULES}
    if patch is not None:
        answers[("PATCH", f"/plans/{PID}")] = patch
    return answers


def test_the_plan_s_form_comes_filled_its_categories_kept() -> None:
    response = pages.hr_plan(FakePage(plans(plan()), path=f"/hr/plans/{PID}"), PID)
    html = html_of(response)
    assert response.status_code == 200 and "Change “Welfare”" in html
    assert f'action="/hr/plans/{PID}"' in html and 'value="Welfare"' in html
    assert f'value="{plan()["valid_until"]}"' in html
    assert 'value="impiegati, operai"' in html and 'value="500.00"' in html
    education = re.search(r'<input type="checkbox"[^>]*value="education"[^>]*>', html)[0]
    assert "checked" in education and "disabled" in education
    wellbeing = re.search(r'<input type="checkbox"[^>]*value="wellbeing"[^>]*>', html)[0]
    assert "checked" not in wellbeing and "disabled" not in wellbeing
    assert "Categories can be added, not removed" in html
    assert_well_formed(html)


def test_an_ended_plan_is_shown_not_offered_for_change() -> None:
    ended = plan(valid_until=(TODAY - timedelta(days=1)).isoformat())
    html = html_of(pages.hr_plan(FakePage(plans(ended)), PID))
    assert "it can no longer be changed" in html and "<form method=\"post\" action=\"/hr/plans" \
        not in html
    assert_well_formed(html)


def test_a_change_is_sent_whole_with_the_plan_s_categories_kept() -> None:
    later = (TODAY + timedelta(days=200)).isoformat()
    page = FakePage(plans(plan(), patch=plan(version=2)),
                    method="POST", path=f"/hr/plans/{PID}", lang="it", form={
                        "csrf_token": "c", "name": " Welfare e sport ", "valid_until": later,
                        "categories": "wellbeing", "target_groups": "impiegati; operai",
                        "budget": "400,00", "leftover_policy": "roll_over"})
    response = pages.hr_change_plan(page, PID)
    assert response.status_code == 303 and response.headers["Location"] == (
        "/hr/plans?done=changed")
    assert ("PATCH", f"/plans/{PID}", {"json": {
        "name": "Welfare e sport", "valid_until": later,
        "categories": ["education", "wellbeing"], "target_groups": ["impiegati", "operai"],
        "per_employee_budget_cents": 40_000, "leftover_policy": "roll_over"}}) in page.calls


def test_a_refused_change_is_said_beside_each_field_in_italian() -> None:
    refused = R.PLAN_CHANGE_REFUSED(problems={
        "valid_until": [R.END_TOO_SOON.said(earliest="2026-06-29", notice_days=14)],
        "per_employee_budget_cents": [R.BUDGET_BELOW_GRANTED.said(granted_cents=135_000)]})
    refusal = ApiError(422, refused.code, refused.message, refused.params,
                       refused.problems)
    page = FakePage(plans(plan(), patch=refusal), method="POST",
                    path=f"/hr/plans/{PID}", lang="it", form={
                        "csrf_token": "c", "name": "Welfare", "valid_until": "2026-06-20",
                        "budget": "100", "leftover_policy": "return_to_fund"})
    response = pages.hr_change_plan(page, PID)
    html = html_of(response)
    assert response.status_code == 400
    assert 'id="f-valid_until-error"' in html and 'id="f-budget-error"' in html
    assert "Non prima del 29/06/2026" in html and "1.350,00\xa0€" in html
    assert 'href="#f-budget"' in html and 'value="100"' in html  # typed values kept
    assert_well_formed(html)


def test_a_wrong_field_is_said_before_anything_is_sent() -> None:
    page = FakePage(plans(plan()), method="POST", path=f"/hr/plans/{PID}", form={
        "csrf_token": "c", "name": "", "valid_until": "31/12/2026", "budget": "tanti",
        "leftover_policy": "return_to_fund"})
    html = html_of(pages.hr_change_plan(page, PID))
    for name in ("name", "valid_until", "budget"):
        assert f'id="f-{name}-error"' in html
    assert not [c for c in page.calls if c[0] == "PATCH"]


@pytest.mark.parametrize("lang, code, params, said", [
    ("it", "end_before_today", {}, "Il piano non può finire prima di oggi."),
    ("en", "categories_only_added", {"kept": ["education", "fringe"]},
     "Categories can be added, not removed: Education and childcare, Shopping and bills "
     "(fringe benefit) stay in the plan."),
    ("it", "budget_only_before_first_grant", {},
     "Un budget si può fissare solo prima della prima assegnazione del piano: è già stato "
     "assegnato credito senza."),
    ("en", "plan_ended", {"valid_until": "2026-01-31"},
     "This plan ended on 31 Jan 2026: it can no longer be changed."),
])
def test_a_plan_s_refusals_in_the_person_s_language(lang: str, code: str, params: dict,
                                                    said: str) -> None:
    from web.i18n import Lang

    from web import refusals

    assert refusals.text(Lang(lang), code, params, HR_TEXTS) == said
