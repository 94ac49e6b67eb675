"""The network console and the pages around networks without any server
(docs/domain.md#networks): each page rendered from canned API answers in both
languages (one h1, every form with its CSRF token, nothing inline), what the forms
send, a refusal said by its code, and an employee's network price shown and expected."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from web.client import ApiError
from web.pages.employee import EmployeePages
from web.pages.network import NetworkPages
from web.pages.networks_around import NetworksAroundPages
from web.routing import Page, claims_of
from wecare_common.categories import CATEGORIES
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

NET, CID, VID = "n-1", "c-1", "v-1"


def token(claims: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps({**claims, "exp": 4_000_000_000}).encode())
    return f"x.{body.decode().rstrip('=')}.y"


class FakePage(Page):
    """A request to a page whose API answers are canned: {(method, path): answer}
    (an exception is raised, a callable gets the call's kwargs)."""

    def __init__(self, answers: dict[tuple[str, str], Any], *, role: str = "network",
                 method: str = "GET", path: str = "/network",
                 form: dict[str, str] | None = None, lang: str = "en") -> None:
        signed = token({"role": role, "network_id": NET, "company_id": CID,
                        "provider_id": VID})
        builder = EnvironBuilder(method=method, path=path, data=form, headers={
            "Cookie": f"wecare_at={signed}; wecare_csrf=c; wecare_lang={lang}"})
        super().__init__(Request(builder.get_environ()))
        self.claims = claims_of(self.token)
        self.answers = answers

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        return answer(kwargs) if callable(answer) else answer

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.api(method, path, **kwargs)  # api_all's calls, canned too


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def assert_well_formed(html: str) -> None:
    """One h1; every form that posts carries the CSRF token; nothing inline."""
    assert html.count("<h1") == 1
    for form in re.findall(r'<form method="post".*?</form>', html, re.S):
        assert 'name="csrf_token" value="c"' in form, form
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


PUBLIC = {"id": NET, "slug": "cna-torino", "name": "CNA Torino", "kind": "association",
          "territory": {"provinces": ["TO"], "municipalities": ["Chieri"]}}
NETWORK = {**PUBLIC, "tax_id": "80012345678", "created_at": "2026-01-01T00:00:00+00:00"}


def row(key: str, label: str, people: int, granted: int, spent: int) -> dict[str, Any]:
    return {"key": key, "label": label, "people": people, "firms": 2,
            "granted_cents": granted, "spent_cents": spent}


TABLE = {"rows": [row("education", "education", 6, 180_000, 17_000)], "other": None,
         "total": row("", "", 6, 180_000, 17_000), "withheld": False}
WITHHELD = {"rows": [], "other": None, "total": None, "withheld": True}
BOARD = {"network": PUBLIC, "year": 2026, "firms": 2, "current_firms": 2,
         "employees_covered": 6, "fund_cents": 20_000, "withheld": False,
         "totals": row("", "", 6, 180_000, 17_000), "by_category": TABLE,
         "by_month": {**TABLE, "rows": [row("3", "3", 6, 180_000, 17_000)]},
         "by_municipality": TABLE, "by_member": TABLE, "by_provider": WITHHELD,
         "by_shared_plan": TABLE}
REPORT = {"network": PUBLIC, "year": 2026, "generated_at": "2026-12-07T09:00:00+00:00",
          "member_firms": [{"name": "Alfa Srl", "municipality": "Torino", "province": "TO",
                            "current": True, "from": "2026-03-01T00:00:00+00:00",
                            "until": None}],
          "firms": 1, "employees_covered": 6, "withheld": False,
          "totals": row("", "", 6, 180_000, 17_000), "by_category": TABLE,
          "by_municipality": TABLE, "by_provider": WITHHELD}
MEMBER = {"id": "m-1", "network_id": NET, "company_id": CID, "status": "invited",
          "municipality": "Torino", "province": "TO", "invited_at": "2026-03-01T00:00:00+00:00",
          "answered_at": None, "joined_at": None, "left_at": None,
          "company_name": "Alfa Srl", "vat_number": "12345678903"}
SHARED = {"id": "s-1", "network_id": NET, "name": "Welfare di rete", "description": "",
          "fiscal_year": 2026, "valid_from": "2026-01-01", "valid_until": "2026-12-31",
          "categories": ["education"], "leftover_policy": "return_to_fund",
          "amount_per_employee_cents": 30_000, "status": "proposed",
          "created_at": "2026-03-01T00:00:00+00:00"}
PROVIDER = {"id": VID, "name": "Nido Girasole", "categories": ["education"],
            "address": "Via Po 1", "city": "Torino", "province": "TO", "lat": 45.07,
            "lon": 7.69, "network_status": "approved"}
AGREEMENT = {"id": "a-1", "network_id": NET, "network_name": "CNA Torino", "provider_id": VID,
             "provider_name": "Nido Girasole", "offering_id": "o-1",
             "offering_title": "Nido, un mese", "category": "education",
             "list_price_cents": 10_000, "price_cents": None, "discount_bps": 1_500,
             "agreed_price_cents": 8_500, "valid_from": None, "valid_until": None,
             "status": "proposed", "created_at": "2026-03-01T00:00:00+00:00",
             "answered_at": None, "ended_at": None}
OFFERING = {"id": "o-2", "provider_id": VID, "title": "Ludoteca", "description": "",
            "category": "education", "price_cents": 5_000, "delivery": "in_person",
            "valid_from": None, "valid_until": None, "status": "active",
            "created_at": "2026-03-01T00:00:00+00:00"}
ANSWERS = {
    ("GET", f"/networks/{NET}"): NETWORK,
    ("GET", f"/networks/{NET}/dashboard"): BOARD,
    ("GET", f"/networks/{NET}/reports/yearly"): REPORT,
    ("GET", f"/networks/{NET}/members"): {"items": [MEMBER, {**MEMBER, "id": "m-2",
                                                             "status": "active"}],
                                          "next_cursor": None},
    ("GET", f"/networks/{NET}/shared-plans"): {"items": [{**SHARED, "adopted_by": [
        {"company_id": CID, "company_name": "Alfa Srl", "plan_id": "p-1",
         "adopted_at": "2026-03-02T00:00:00+00:00"}]}], "next_cursor": None},
    ("GET", f"/networks/{NET}/providers"): {"items": [PROVIDER], "next_cursor": None},
    ("GET", f"/networks/{NET}/agreements"): {"items": [AGREEMENT], "next_cursor": None},
    ("GET", "/offerings"): {"items": [OFFERING], "next_cursor": None},
    ("GET", "/networks"): {"items": [NETWORK], "next_cursor": None},
    ("GET", f"/companies/{CID}/network"): {"membership": None, "invitations": [
        {**MEMBER, "network": PUBLIC}]},
    ("GET", f"/companies/{CID}/shared-plans"): {"network": PUBLIC, "items": [
        {**SHARED, "plan_id": None}], "next_cursor": None},
    ("GET", f"/providers/{VID}/agreements"): {"items": [AGREEMENT], "next_cursor": None},
}
network_pages, around = NetworkPages(), NetworksAroundPages()


@pytest.mark.parametrize("pages, handler, path, role", [
    (network_pages, "network_home", "/network", "network"),
    (network_pages, "network_members", "/network/members", "network"),
    (network_pages, "network_plans", "/network/plans", "network"),
    (network_pages, "network_circuit", "/network/circuit", "network"),
    (network_pages, "network_report", "/network/report", "network"),
    (network_pages, "network_staff", "/network/staff", "network"),
    (around, "admin_networks", "/admin/networks", "admin"),
    (around, "hr_network", "/hr/network", "hr"),
    (around, "provider_agreements", "/provider/agreements", "provider")])
@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_page_renders_well_formed(pages: Any, handler: str, path: str, role: str,
                                        lang: str) -> None:
    response = getattr(pages, handler)(FakePage(ANSWERS, role=role, path=path, lang=lang))
    assert response.status_code == 200
    assert_well_formed(html_of(response))


def test_the_console_shows_totals_and_says_what_is_withheld() -> None:
    html = html_of(network_pages.network_home(FakePage(ANSWERS, path="/network")))
    assert "€1,800.00" in html and "€170.00" in html and "Education and childcare" in html
    assert "withheld: it would describe fewer than 5 people." in html  # by provider
    assert "<th scope=\"row\">March</th>" in html
    it = html_of(network_pages.network_home(FakePage(ANSWERS, path="/network", lang="it")))
    assert "<th scope=\"row\">Marzo</th>" in it


def test_the_report_prints_and_downloads() -> None:
    html = html_of(network_pages.network_report(FakePage(ANSWERS, path="/network/report")))
    assert "Alfa Srl" in html and 'href="/network/report.csv?year=' in html
    assert "data-print" in html


def test_an_invitation_is_sent_with_the_firm_s_seat_and_a_refusal_said_by_its_code() -> None:
    sent: list[Any] = []
    answers = {**ANSWERS, ("POST", f"/networks/{NET}/invitations"):
               lambda kw: sent.append(kw["json"]) or MEMBER}
    form = {"csrf_token": "c", "vat_number": "12345678903", "municipality": "Torino",
            "province": "to"}
    response = network_pages.network_invite(FakePage(answers, method="POST", form=form))
    assert response.status_code == 303 and sent == [
        {"vat_number": "12345678903", "municipality": "Torino", "province": "to"}]
    answers[("POST", f"/networks/{NET}/invitations")] = ApiError(
        409, "already_invited", "Whatever English", params={})
    html = html_of(network_pages.network_invite(FakePage(answers, method="POST", form=form,
                                                         lang="it")))
    assert "ha già l&#39;invito della rete" in html and "Whatever English" not in html


def test_a_shared_plan_is_proposed_in_cents() -> None:
    sent: list[Any] = []
    answers = {**ANSWERS, ("POST", f"/networks/{NET}/shared-plans"):
               lambda kw: sent.append(kw["json"]) or SHARED}
    form = {"csrf_token": "c", "name": "Welfare di rete", "fiscal_year": "2026",
            "valid_from": "2026-01-01", "valid_until": "2026-12-31",
            "categories": "education", "leftover_policy": "return_to_fund",
            "amount": "300,00"}
    response = network_pages.network_propose_plan(FakePage(answers, method="POST",
                                                           form=form, lang="it"))
    assert response.status_code == 303
    assert sent[0]["amount_per_employee_cents"] == 30_000 and sent[0]["categories"] == [
        "education"]


def test_an_agreement_is_a_price_or_a_discount_never_both() -> None:
    form = {"csrf_token": "c", "offering_id": "o-2", "price": "40", "discount": "15"}
    response = network_pages.network_propose_agreement(FakePage(ANSWERS, method="POST",
                                                                form=form))
    assert response.status_code == 400
    assert "Give either the agreed price or the discount" in html_of(response)
    sent: list[Any] = []
    answers = {**ANSWERS, ("POST", f"/networks/{NET}/agreements"):
               lambda kw: sent.append(kw["json"]) or AGREEMENT}
    network_pages.network_propose_agreement(FakePage(answers, method="POST", form={
        **form, "price": ""}))
    assert sent == [{"offering_id": "o-2", "discount_bps": 1_500}]


class Anonymous(FakePage):
    """Someone not signed in, whose circuit answers are canned per category asked."""

    def __init__(self, answers: dict[str | None, Any], path: str, lang: str = "en") -> None:
        super().__init__({}, path=path, lang=lang)
        self.token, self.claims, self.circuits, self.asked = None, {}, answers, []

    def api_anonymous(self, method: str, path: str, **kwargs: Any) -> Any:
        assert (method, path) == ("GET", "/networks/cna-torino/circuit")
        category = (kwargs.get("params") or {}).get("category") or None
        self.asked.append(category)
        answer = self.circuits[category]
        if isinstance(answer, Exception):
            raise answer
        return answer


NURSERY_OFFER = {"offering_id": "o-1", "title": "Nido, un mese", "category": "education",
                 "price_cents": 10_000, "discount_bps": 1_500, "agreed_price_cents": 8_500,
                 "valid_until": None}
GYM = {**PROVIDER, "id": "v-2", "name": "Palestra Aurora", "categories": ["wellbeing"],
       "offers": [{**NURSERY_OFFER, "offering_id": "o-3", "title": "Abbonamento",
                   "category": "wellbeing"}]}
WHOLE = {"network": PUBLIC, "next_cursor": None,
         "items": [{**PROVIDER, "offers": [NURSERY_OFFER]}, GYM]}
UNKNOWN_CATEGORY = ApiError(400, "validation_error", "invalid", problems={"category": [
    {"code": "one_of", "params": {"choices": "education, family_care"}}]})


def test_the_public_circuit_needs_no_sign_in() -> None:
    page = Anonymous({None: {**WHOLE, "items": WHOLE["items"][:1]}}, path="/networks/cna-torino")
    html = html_of(around.network_circuit_page(page, "cna-torino"))
    assert_well_formed(html)
    assert "Nido Girasole" in html and "€85.00" in html and "€100.00" in html
    assert "openstreetmap.org" in html and "/api/v1/networks/cna-torino/circuit" in html
    assert page.asked == [None]  # all categories: none asked


@pytest.mark.parametrize("lang, words", [
    ("en", ("Category", "All categories", "Education and childcare", "Show")),
    ("it", ("Categoria", "Tutte le categorie", "Istruzione", "Mostra"))])
def test_the_public_circuit_is_filtered_by_a_labelled_get_form(lang, words) -> None:
    """A GET form that works without JavaScript: a labelled selector of the shared
    categories, the one chosen selected, the API asked for it, the open data's link
    narrowed alike."""
    page = Anonymous({None: WHOLE, "wellbeing": {**WHOLE, "items": [GYM]}},
                     path="/networks/cna-torino?category=wellbeing", lang=lang)
    response = around.network_circuit_page(page, "cna-torino")
    html = html_of(response)
    assert response.status_code == 200 and page.asked == ["wellbeing"]
    assert_well_formed(html)
    form = re.search(r'<form class="search" method="get" action="/networks/cna-torino".*?</form>',
                     html, re.S)
    assert form, html
    assert '<label for="f-category">' in form[0] and '<select id="f-category" name="category"' \
        in form[0] and '<button type="submit"' in form[0]
    assert re.findall(r'<option value="([a-z_]*)"', form[0]) == ["", *CATEGORIES]
    assert '<option value="wellbeing" selected>' in form[0]
    for word in words:
        assert word in html, word
    assert "Palestra Aurora" in html and "Nido Girasole" not in html
    assert "/api/v1/networks/cna-torino/circuit?category=wellbeing" in html
    nothing = Anonymous({"pension": {**WHOLE, "items": []}},
                        path="/networks/cna-torino?category=pension", lang=lang)
    html = html_of(around.network_circuit_page(nothing, "cna-torino"))
    assert ("No provider of Supplementary pension is in the circuit yet" if lang == "en"
            else "Nessun fornitore di Previdenza complementare è ancora nel circuito") in html


@pytest.mark.parametrize("lang, said", [("en", "Choose a category from the list."),
                                        ("it", "Scegli una categoria dall&#39;elenco.")])
def test_an_unknown_category_is_said_beside_the_selector_over_the_whole_circuit(
        lang, said) -> None:
    page = Anonymous({"spa": UNKNOWN_CATEGORY, None: WHOLE},
                     path="/networks/cna-torino?category=spa", lang=lang)
    response = around.network_circuit_page(page, "cna-torino")
    html = html_of(response)
    assert response.status_code == 400 and page.asked == ["spa", None]
    assert_well_formed(html)
    assert 'class="error-summary"' in html and '<a href="#f-category">' + said in html
    assert 'id="f-category-error"><span class="visually-hidden">' in html
    assert 'aria-invalid="true"' in html and "Nido Girasole" in html and 'value="spa"' not in html
    assert "/api/v1/networks/cna-torino/circuit\"" in html  # the whole list's data


def test_an_employee_sees_the_network_price_and_the_purchase_expects_it() -> None:
    offering = {**OFFERING, "provider_name": "Nido Girasole", "address": "Via Po 1",
                "city": "Torino", "province": "TO", "lat": 45.0, "lon": 7.6,
                "provider_status": "approved", "network_offer": {
                    "network_id": NET, "network_name": "CNA Torino", "agreement_id": "a-1",
                    "price_cents": 4_250, "discount_bps": 1_500}}
    wallet = {"plans": [{"plan_id": "p-1", "name": "Welfare di rete", "balance_cents": 30_000,
                         "categories": ["education"], "valid_from": "2026-01-01",
                         "valid_until": "2099-12-31", "expiring": []}], "fringe": None}
    answers = {("GET", "/offerings/o-2"): offering, ("GET", "/me/wallet"): wallet,
               ("GET", "/me/worth"): ApiError(503, "service_unavailable", "down")}
    html = html_of(EmployeePages().offering(FakePage(answers, role="employee",
                                                     path="/offerings/o-2"), "o-2"))
    assert "Agreed by CNA Torino" in html and "€42.50" in html and "instead of €50.00" in html
    assert 'name="price_cents" value="4250"' in html
    sent: list[Any] = []
    answers[("POST", "/me/vouchers")] = lambda kw: sent.append(kw["json"]) or {"id": "x"}
    EmployeePages().buy(FakePage(answers, role="employee", method="POST", form={
        "csrf_token": "c", "idempotency_key": "k", "plan_id": "p-1", "price_cents": "4250"}),
        "o-2")
    assert sent == [{"offering_id": "o-2", "plan_id": "p-1", "expected_price_cents": 4_250}]


def test_a_new_firm_is_brought_in_with_its_hr_manager_and_refusals_beside_its_fields() -> None:
    sent: list[Any] = []
    answers = {**ANSWERS, ("POST", f"/networks/{NET}/companies"):
               lambda kw: sent.append(kw["json"]) or {"id": "c-9"}}
    form = {"csrf_token": "c", "name": "Beta Snc", "new_vat_number": "12345678903",
            "new_municipality": "Chieri", "new_province": "TO", "hr_email": "bea@beta.example",
            "hr_first_name": "Bea", "hr_last_name": "Bianchi"}
    response = network_pages.network_onboard(FakePage(answers, method="POST", form=form))
    assert response.status_code == 303 and sent == [{
        "name": "Beta Snc", "vat_number": "12345678903", "municipality": "Chieri",
        "province": "TO", "hr_manager": {"email": "bea@beta.example", "first_name": "Bea",
                                         "last_name": "Bianchi"}}]
    answers[("POST", f"/networks/{NET}/companies")] = ApiError(
        400, "validation_error", "English", problems={
            "vat_number": [{"code": "not_a_vat_number"}],
            "hr_manager.email": [{"code": "not_an_email"}]})
    html = html_of(network_pages.network_onboard(FakePage(answers, method="POST", form=form)))
    assert 'id="f-new_vat_number-error"' in html and 'id="f-hr_email-error"' in html
    assert 'href="#f-new_vat_number"' in html  # the summary links to the field


@pytest.mark.parametrize("accept", [True, False])
def test_hr_answers_the_invitation_and_adopts_a_shared_plan(accept: bool) -> None:
    sent: list[Any] = []
    answers = {**ANSWERS,
               ("POST", f"/companies/{CID}/network-invitations/m-1/answer"):
               lambda kw: sent.append(kw["json"]) or {**MEMBER, "network": PUBLIC},
               ("POST", f"/companies/{CID}/shared-plans/s-1/adoption"):
               {"id": "p-7", "name": "Welfare di rete"}}
    response = around.hr_answer_invitation(FakePage(answers, role="hr", method="POST", form={
        "csrf_token": "c", "accept": "true" if accept else "false"}), "m-1")
    assert response.status_code == 303 and sent == [{"accept": accept}]
    adopted = around.hr_adopt_shared_plan(FakePage(answers, role="hr", method="POST",
                                                   form={"csrf_token": "c"}), "s-1")
    assert "plan=p-7" in adopted.headers["Location"]
    answers[("POST", f"/companies/{CID}/shared-plans/s-1/adoption")] = ApiError(
        409, "shared_plan_adopted", "English")
    html = html_of(around.hr_adopt_shared_plan(FakePage(answers, role="hr", method="POST",
                                                        form={"csrf_token": "c"}), "s-1"))
    assert "Your firm has already adopted this shared plan." in html


def test_a_provider_accepts_a_network_s_price() -> None:
    sent: list[Any] = []
    answers = {**ANSWERS, ("POST", f"/providers/{VID}/agreements/a-1/answer"):
               lambda kw: sent.append(kw["json"]) or {**AGREEMENT, "status": "active"}}
    html = html_of(around.provider_agreements(FakePage(answers, role="provider",
                                                       path="/provider/agreements")))
    assert "€85.00" in html and "instead of €100.00" in html
    response = around.provider_answer_agreement(FakePage(answers, role="provider",
                                                         method="POST", form={
                                                             "csrf_token": "c",
                                                             "accept": "true"}), "a-1")
    assert response.status_code == 303 and sent == [{"accept": True}]


def test_an_operator_creates_a_network_with_its_territory_and_first_staff_member() -> None:
    sent: list[Any] = []
    answers = {**ANSWERS, ("POST", "/networks"): lambda kw: sent.append(kw["json"]) or NETWORK}
    form = {"csrf_token": "c", "name": "CNA Torino", "kind": "association",
            "tax_id": "80012345678", "provinces": "TO, cn", "municipalities": "Chieri;\nBra",
            "first_name": "Rita", "last_name": "Rete", "email": "rita@rete.example"}
    response = around.admin_create_network(FakePage(answers, role="admin", method="POST",
                                                    form=form))
    assert response.status_code == 303
    assert sent[0]["territory"] == {"provinces": ["TO", "cn"],
                                    "municipalities": ["Chieri", "Bra"]}
    assert sent[0]["staff"] == {"email": "rita@rete.example", "first_name": "Rita",
                                "last_name": "Rete"}
    html = html_of(around.admin_create_network(FakePage(answers, role="admin", method="POST",
                                                        form={**form, "provinces": "",
                                                              "municipalities": ""})))
    assert "Name at least one province or municipality." in html
