"""What welfare is worth, on the pages, without any server: each handler with a stand-in
for the API — what it asks, what it shows (always labelled an estimate, in Italian and
English), how a refusal reads, and the bonus choice working as a plain form."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.client import ApiError  # noqa: E402
from web.pages.employee import EmployeePages  # noqa: E402
from web.pages.hr_bonus import HrBonusPages  # noqa: E402
from web.pages.worth import WorthPages, welfare_asked  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from .test_employee_pages import OFFERING, WALLET, FakeApi, html, make_page  # noqa: E402

ESTIMATE = {"year": 2026, "source": "company_band", "band": "up_to_28k",
            "income_cents": 2_000_000, "inps_employee_bps": 919, "surcharges_bps": 203,
            "marginal_irpef_bps": 2_300}
WORTH = {"amount_cents": 35_000, "gross_equivalent_cents": 59_012,
         "as_salary_net_cents": 23_456, "saving_cents": 11_544,
         "pension_contributions_cents": 3_217, "category": None, "treatment": None,
         "estimate": ESTIMATE}


def offer(**changes: Any) -> dict[str, Any]:
    base = {"id": "b1", "name": "Premio di risultato 2025", "agreement": "Accordo 12/02/2026",
            "plan_name": "Welfare 2026", "plan_valid_until": "2026-12-31",
            "amount_cents": 100_000, "deadline": "2026-03-20",
            "closes_at": "2026-03-20T23:00:00+00:00", "fiscal_year": 2026, "status": "open",
            "open": True, "days_left": 5, "eligible": True, "room_cents": 500_000,
            "max_welfare_cents": 100_000, "cap_cents": 500_000, "substitute_tax_bps": 100,
            "substitute_tax_basis": "L. 199/2025 art. 1 c. 9",
            "choice": {"welfare_cents": None, "outcome": None},
            "comparison": comparison(0), "estimate": ESTIMATE}
    return {**base, **changes}


def comparison(welfare: int) -> dict[str, Any]:
    cash = 100_000 - welfare
    contributions = (cash * 919 * 2 + 10_000) // 20_000
    tax = ((cash - contributions) * 100 * 2 + 10_000) // 20_000
    return {"amount_cents": 100_000, "welfare_cents": welfare,
            "cash": {"cash_cents": cash, "at_substitute_tax_cents": cash,
                     "contributions_cents": contributions,
                     "substitute_tax_base_cents": cash - contributions,
                     "substitute_tax_cents": tax, "ordinary_cents": 0,
                     "ordinary_tax_cents": 0, "net_cents": cash - contributions - tax},
            "take_home_cents": welfare + cash - contributions - tax,
            "all_cash_net_cents": 89_902,
            "gain_cents": welfare + cash - contributions - tax - 89_902,
            "pension_contributions_forgone_cents": (welfare * 919 * 2 + 10_000) // 20_000}


def answer_offer(kwargs: dict[str, Any]) -> dict[str, Any]:
    welfare = (kwargs.get("params") or {}).get("welfare_cents")
    return offer(comparison=comparison(welfare or 0))


# -- the employee's home and a purchase ------------------------------------------------
@pytest.mark.parametrize(("lang", "line", "note"), [
    ("it", "Il tuo credito vale circa 590\xa0€ di stipendio lordo.",
     "Una stima per il 2026 sulla fascia di reddito della tua azienda (fino a 28.000 €"),
    ("en", "Your credit is worth about €590 of gross salary.",
     "An estimate for 2026 at your company&#39;s income band (up to 28.000 € a year)")])
def test_the_home_says_what_the_credit_is_worth_as_an_estimate(lang, line, note) -> None:
    api = FakeApi({("GET", "/me/wallet"): WALLET,
                   ("GET", "/me/transactions"): {"items": [], "next_cursor": None},
                   ("GET", "/me/worth"): WORTH,
                   ("GET", "/me/bonus-offers"): {"items": [offer()]}})
    text = html(EmployeePages().employee_home(make_page(api, path="/home", lang=lang)))
    assert line in text and note in text
    assert 'href="/worth/how"' in text and 'href="/bonus/b1"' in text


def test_the_home_shows_without_the_estimate_when_it_cannot_be_had() -> None:
    api = FakeApi({("GET", "/me/wallet"): WALLET,
                   ("GET", "/me/transactions"): {"items": [], "next_cursor": None},
                   ("GET", "/me/worth"): ApiError(503, "service_unavailable", "down"),
                   ("GET", "/me/bonus-offers"): ApiError(503, "service_unavailable", "down")})
    text = html(EmployeePages().employee_home(make_page(api, path="/home")))
    assert "350,00" in text and "stipendio lordo" not in text


@pytest.mark.parametrize(("category", "said"), [
    ("education", "Esente senza limite annuo (TUIR art. 51 c.2 f-bis)."),
    ("fringe", "dopo questo acquisto ti resteranno 70,00\xa0€")])
def test_an_offering_says_its_tax_treatment_and_its_salary_price(category, said) -> None:
    treatment = ({"kind": "exempt", "legal_basis": "TUIR art. 51 c.2 f-bis"}
                 if category == "education" else
                 {"kind": "fringe", "legal_basis": "TUIR art. 51 c.3",
                  "room_before_cents": 100_000, "room_after_cents": 7_000})
    api = FakeApi({("GET", "/offerings/o1"): {**OFFERING, "category": category},
                   ("GET", "/me/wallet"): {**WALLET, "fringe": {
                       "year": 2026, "used_cents": 0, "limit_cents": 100_000,
                       "room_cents": 100_000}},
                   ("GET", "/me/worth"): {**WORTH, "treatment": treatment,
                                          "gross_equivalent_cents": 76_000}})
    text = html(EmployeePages().offering(make_page(api, path="/offerings/o1"), "o1"))
    assert said in text and "circa 760\xa0€ lordi" in text
    [asked] = api.sent("GET", "/me/worth")
    assert asked["params"] == {"amount_cents": 45_000, "category": category}


# -- the bonus: compare and choose, as a plain form ---------------------------------------
def test_the_slider_s_share_or_the_exact_amount_is_the_welfare_part_asked() -> None:
    assert welfare_asked(MultiDict({"percent": "60"}), 100_000, 100_000) == (60_000, None)
    assert welfare_asked(MultiDict({"percent": "60", "amount": "612,50"}), 100_000,
                         100_000) == (61_250, None)
    assert welfare_asked(MultiDict({"percent": "100"}), 100_000, 30_000) == (30_000, None)
    assert welfare_asked(MultiDict({}), 100_000, 100_000) == (None, None)
    assert welfare_asked(MultiDict({"percent": "130"}), 100_000, 100_000) == (None, "percent")
    assert welfare_asked(MultiDict({"amount": "molto"}), 100_000, 100_000) == (None, "amount")


def test_comparing_60_percent_asks_the_api_and_shows_both_ways() -> None:
    api = FakeApi({("GET", "/me/bonus-offers/b1"): answer_offer})
    page = make_page(api, path="/bonus/b1", query={"percent": "60"})
    text = html(WorthPages().bonus_offer(page, "b1"))
    assert api.sent("GET", "/me/bonus-offers/b1")[-1]["params"] == {"welfare_cents": 60_000}
    assert "Denaro o welfare: 600,00\xa0€ in welfare" in text
    assert "Tutto in denaro, 1.000,00\xa0€ ti arriverebbero come 899,02\xa0€." in text
    assert "359,61\xa0€" in text  # the cash part reaching the employee
    assert 'value="60"' in text and 'type="range"' in text
    assert "sulla parte in welfare non si versano contributi pensionistici" in text


def test_with_htmx_only_the_comparison_is_sent() -> None:
    api = FakeApi({("GET", "/me/bonus-offers/b1"): answer_offer})
    page = make_page(api, path="/bonus/b1", query={"percent": "40"}, htmx=True)
    text = html(WorthPages().bonus_offer(page, "b1"))
    assert text.startswith('<section id="comparison"') and "<form" not in text


def test_choosing_puts_the_welfare_part_and_comes_back_saying_so() -> None:
    api = FakeApi({("GET", "/me/bonus-offers/b1"): answer_offer,
                   ("PUT", "/me/bonus-offers/b1/choice"): offer()})
    page = make_page(api, method="POST", path="/bonus/b1",
                     data={"csrf_token": "tok", "percent": "60", "amount": ""})
    response = WorthPages().choose_bonus(page, "b1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/bonus/b1?saved=1#choice"
    assert api.sent("PUT", "/me/bonus-offers/b1/choice") == [{"json": {"welfare_cents": 60_000}}]


def test_a_refused_choice_says_why_in_the_person_s_language() -> None:
    closed = ApiError(409, "bonus_offer_closed", "the choice closed",
                      {"deadline": "2026-03-20"},
                      {"welfare_cents": [{"code": "bonus_offer_closed",
                                          "params": {"deadline": "2026-03-20"}}]})
    api = FakeApi({("GET", "/me/bonus-offers/b1"): answer_offer,
                   ("PUT", "/me/bonus-offers/b1/choice"): closed})
    page = make_page(api, method="POST", path="/bonus/b1", lang="en",
                     data={"csrf_token": "tok", "percent": "60"})
    response = WorthPages().choose_bonus(page, "b1")
    assert response.status_code in (400, 409)
    assert "The choice closed at midnight on 20 Mar 2026." in html(response)
    capped = ApiError(422, "bonus_cap_exceeded", "past the cap",
                      {"cap_cents": 500_000, "room_cents": 20_000},
                      {"welfare_cents": [{"code": "bonus_cap_exceeded",
                                          "params": {"cap_cents": 500_000,
                                                     "room_cents": 20_000}}]})
    api.answers[("PUT", "/me/bonus-offers/b1/choice")] = capped
    page = make_page(api, method="POST", path="/bonus/b1",
                     data={"csrf_token": "tok", "amount": "600"})
    text = html(WorthPages().choose_bonus(page, "b1"))
    assert "ti restano 200,00\xa0€" in text and 'value="600"' in text


def test_a_mistyped_amount_is_said_beside_the_field_and_nothing_is_sent() -> None:
    api = FakeApi({("GET", "/me/bonus-offers/b1"): answer_offer})
    page = make_page(api, method="POST", path="/bonus/b1",
                     data={"csrf_token": "tok", "amount": "seicento"})
    response = WorthPages().choose_bonus(page, "b1")
    assert response.status_code == 400 and 'id="f-amount-error"' in html(response)
    assert api.sent("PUT", "/me/bonus-offers/b1/choice") == []


# -- the income the employee gives ---------------------------------------------------------
def test_the_income_is_sent_in_cents_or_forgotten() -> None:
    api = FakeApi({("PUT", "/me/income-estimate"): {"income_cents": 3_200_000}})
    page = make_page(api, method="POST", path="/worth/income",
                     data={"csrf_token": "tok", "income": "32.000"})
    response = WorthPages().save_worth_income(page)
    assert response.status_code == 303
    assert api.sent("PUT", "/me/income-estimate") == [{"json": {"income_cents": 3_200_000}}]
    page = make_page(api, method="POST", path="/worth/income",
                     data={"csrf_token": "tok", "forget": "1"})
    WorthPages().save_worth_income(page)
    assert api.sent("PUT", "/me/income-estimate")[-1] == {"json": {"income_cents": None}}


def test_an_income_that_is_not_one_is_refused_beside_the_field() -> None:
    api = FakeApi({("GET", "/me/income-estimate"): {"income_cents": None}})
    page = make_page(api, method="POST", path="/worth/income",
                     data={"csrf_token": "tok", "income": "tanto"})
    response = WorthPages().save_worth_income(page)
    assert response.status_code == 400 and 'id="f-income-error"' in html(response)


# -- HR --------------------------------------------------------------------------------------
def hr_page(api: FakeApi, **kwargs: Any):  # type: ignore[no-untyped-def]
    page = make_page(api, **kwargs)
    page.claims = {"role": "hr", "company_id": "c1"}
    page.api_anonymous = lambda method, path, **kw: {  # type: ignore[method-assign]
        "performance_bonus": {"cap_cents": 500_000, "income_max_cents": 8_000_000,
                              "substitute_tax_bps": 100,
                              "substitute_tax_basis": "L. 199/2025 art. 1 c. 9"},
        "estimates": {"inps_employee_bps": 919, "inps_employee_basis": "INPS",
                      "surcharges_bps": 203, "surcharges_basis": "D.Lgs. 360/1998"}}
    return page


PLANS = {"items": [{"id": "p1", "name": "Welfare 2026", "fiscal_year": 2026,
                    "valid_until": "2099-12-31"}]}


def test_hr_offers_a_bonus_to_everyone_eligible_with_its_key() -> None:
    api = FakeApi({("POST", "/companies/c1/bonus-offers"): {"id": "b1"},
                   ("GET", "/companies/c1/plans"): PLANS})
    page = hr_page(api, method="POST", path="/hr/bonus-offers/new", data={
        "csrf_token": "tok", "idempotency_key": "k1", "plan_id": "p1", "name": "Premio",
        "agreement": "Accordo aziendale", "amount": "1.000,00", "deadline": "2099-03-20"})
    response = HrBonusPages().hr_offer_bonus(page)
    assert response.headers["Location"] == "/hr/bonus-offers/b1?new=1"
    [sent] = api.sent("POST", "/companies/c1/bonus-offers")
    assert sent == {"key": "k1", "json": {"plan_id": "p1", "name": "Premio",
                                          "agreement": "Accordo aziendale",
                                          "amount_cents": 100_000, "deadline": "2099-03-20",
                                          "all": True}}


def test_a_deadline_refused_is_said_beside_the_deadline() -> None:
    past = ApiError(422, "bonus_deadline_past", "the deadline has passed",
                    {"deadline": "2020-01-01"},
                    {"deadline": [{"code": "bonus_deadline_past",
                                   "params": {"deadline": "2020-01-01"}}]})
    api = FakeApi({("POST", "/companies/c1/bonus-offers"): past,
                   ("GET", "/companies/c1/plans"): PLANS})
    page = hr_page(api, method="POST", path="/hr/bonus-offers/new", data={
        "csrf_token": "tok", "idempotency_key": "k1", "plan_id": "p1", "name": "Premio",
        "agreement": "Accordo aziendale", "amount": "1.000", "deadline": "2020-01-01"})
    text = html(HrBonusPages().hr_offer_bonus(page))
    assert "La scadenza 01/01/2020 è passata" in text and 'id="f-deadline-error"' in text


def test_hr_sets_the_estimates_in_percent_and_empty_means_the_default() -> None:
    api = FakeApi({("PUT", "/companies/c1/estimate-settings"): {}})
    page = hr_page(api, method="POST", path="/hr/estimates", data={
        "csrf_token": "tok", "inps_employee": "9,49", "surcharges": "", "band": "28k_50k"})
    response = HrBonusPages().hr_save_estimates(page)
    assert response.status_code == 303
    assert api.sent("PUT", "/companies/c1/estimate-settings") == [{"json": {
        "inps_employee_bps": 949, "surcharges_bps": None, "band": "28k_50k"}}]
