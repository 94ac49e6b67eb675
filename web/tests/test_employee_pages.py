"""The employee's pages without any server: each handler with a stand-in for the
API, checking what it asks the API, what it renders, and how a refusal reads."""

from __future__ import annotations

import base64
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.client import ApiError  # noqa: E402
from web.i18n import Lang  # noqa: E402
from web.pages import employee  # noqa: E402
from web.pages.employee import EmployeePages  # noqa: E402
from web.routing import Page  # noqa: E402
from wecare_common.contract import refusals as R  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402
from werkzeug.wrappers import Request  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
WALLET = {"plans": [{"plan_id": "p1", "name": "Welfare 2099", "balance_cents": 35_000,
                     "valid_until": "2099-12-31", "categories": ["education", "fringe"],
                     "expiring": False}],
          "total_cents": 35_000, "expiring_cents": 0,
          "fringe": {"year": 2099, "used_cents": 90_000, "limit_cents": 100_000,
                     "room_cents": 10_000}}
OFFERING = {"id": "o1", "title": "Retta mensile asilo nido", "category": "education",
            "price_cents": 45_000, "provider_name": "Asilo Nido Il Girasole",
            "address": "Via Po 12, Torino", "city": "Torino", "description": ""}
VOUCHER = {"id": "v1", "code": "ABCD-EFGH-JKMN-PQRS-T", "offering_id": "o1", "title": "Nido",
           "category": "education", "amount_cents": 45_000, "status": "issued",
           "expires_at": "2100-01-01T00:00:00+00:00", "created_at": "2099-05-01T10:00:00+00:00",
           "redeemed_at": None}


def token(role: str = "employee") -> str:
    claims = base64.urlsafe_b64encode(json.dumps(
        {"role": role, "exp": int(time.time()) + 3600}).encode()).decode().rstrip("=")
    return f"x.{claims}.y"


class FakeApi:
    """Answers by (method, path); an exception is raised; every call is kept."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path, kwargs))
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        return answer(kwargs) if callable(answer) else answer

    def sent(self, method: str, path: str) -> list[dict[str, Any]]:
        return [kwargs for m, p, kwargs in self.calls if (m, p) == (method, path)]


def _answer(api: FakeApi, call: tuple, soft: bool) -> Any:
    """One of api_all's calls; soft: a part the stand-in does not answer is None."""
    try:
        return api(*call[:2], **(call[2] if len(call) > 2 else {}))
    except (KeyError, ApiError):
        if soft:
            return None
        raise


def make_page(api: FakeApi, method: str = "GET", path: str = "/", lang: str = "it",
              query: dict | None = None, data: dict | None = None, htmx: bool = False
              ) -> Page:
    headers = {"Cookie": f"wecare_at={token()}; wecare_csrf=tok; wecare_lang={lang}"}
    if htmx:
        headers["HX-Request"] = "true"
    builder = EnvironBuilder(method=method, path=path, query_string=query, data=data,
                             headers=headers)
    page = Page(Request(builder.get_environ()))
    page.api = api  # type: ignore[method-assign]
    page.api_all = lambda *calls, soft=False: [  # type: ignore[method-assign]
        _answer(api, call, soft) for call in calls]
    return page


def html(response: Any) -> str:
    return response.get_data(as_text=True)


pages = EmployeePages()


# -- rules in plain functions ---------------------------------------------------------------------
@pytest.mark.parametrize("expires_at, day", [
    ("2027-01-01T00:00:00+00:00", "2026-12-31"), ("2026-06-30T12:00:00Z", "2026-06-30"),
    (None, None)])
def test_a_voucher_is_valid_until_the_last_day_of_its_plan(expires_at, day) -> None:
    assert employee.last_valid_day(expires_at) == day


def test_a_receipt_is_what_its_first_bytes_say() -> None:
    assert employee.receipt_type(PNG) == "image/png"
    assert employee.receipt_type(PDF) == "application/pdf"
    assert employee.receipt_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert employee.receipt_type(b"GIF89a") is None


@pytest.mark.parametrize("cursor, kept", [("120", "120"), ("abc-DEF", "abc-DEF"),
                                          ("../x", None), ("", None), ("9" * 101, None)])
def test_only_plain_cursors_reach_the_api(cursor, kept) -> None:
    assert employee._cursor(cursor) == kept


def refused(status: int, error: Any) -> ApiError:
    """A service's refusal as the gateway answers it and the client reads it."""
    return ApiError(status, error.code, error.message, error.params, error.problems)


def test_a_refused_purchase_says_the_rule_and_the_figures_in_italian_or_english() -> None:
    short = refused(422, R.NOT_ENOUGH_CREDIT(needed_cents=45_000, available_cents=35_000,
                                             field="offering_id"))
    it = employee.purchase_refusal(Lang("it"), short, OFFERING)
    assert it.message == ("Credito insufficiente: costa 450,00\xa0€ e per questa spesa hai "
                          "350,00\xa0€.") and not it.fields
    en = employee.purchase_refusal(Lang("en"), short, OFFERING)
    assert en.message == "Not enough credit: this costs €450.00 and you have €350.00 for it."
    fringe = refused(422, R.FRINGE_LIMIT_EXCEEDED(year=2099, limit_cents=100_000,
                                                  room_cents=10_000, field="offering_id"))
    said = employee.purchase_refusal(Lang("it"), fringe, OFFERING).message
    assert "1.000,00\xa0€" in said and "100,00\xa0€" in said and "2099" in said
    uncovered = refused(422, R.CATEGORY_NOT_IN_PLAN(category="wellbeing", field="offering_id"))
    assert "Nessuno dei tuoi piani" in employee.purchase_refusal(
        Lang("it"), uncovered, OFFERING).message
    plan = refused(422, R.PLAN_DOES_NOT_COVER(category="education", covered=["fringe"],
                                              field="plan_id"))
    beside = employee.purchase_refusal(Lang("it"), plan, OFFERING)
    assert "Istruzione" in beside.first("plan_id") and not beside.message


def test_a_refused_refund_is_said_beside_the_field_of_our_form() -> None:
    refusal = refused(422, R.BENEFICIARY_NOT_IN_FAMILY(field="beneficiary_fiscal_code"))
    errors = employee.refund_refusal(Lang("it"), refusal)
    assert "figlio a carico" in errors.first("beneficiary_fiscal_code")
    short = refused(422, R.NOT_ENOUGH_CREDIT(needed_cents=99_900, available_cents=35_000,
                                             field="amount_cents"))
    assert employee.refund_refusal(Lang("en"), short).first("amount") == (
        "This is more than the credit you have for it: €350.00.")
    wellbeing = refused(422, R.NOT_REIMBURSABLE_IN_CASH(category="wellbeing",
                                                        legal_basis="TUIR", field="category"))
    assert "voucher" in employee.refund_refusal(Lang("it"), wellbeing).first("category")
    marshmallow = ApiError(400, "validation_error", "invalid input", problems={
        "provider_tax_id": [{"code": "not_a_tax_id", "params": {}}],
        "receipt_content_type": [{"code": "one_of", "params": {"choices": "image/png"}}]})
    errors = employee.refund_refusal(Lang("it"), marshmallow)
    assert "partita IVA" in errors.first("provider_tax_id") and errors.first("receipt")
    odd = employee.refund_refusal(Lang("en"), ApiError(409, "conflict", "something else"))
    assert odd.message and "something else" not in odd.message and not odd.fields


# -- the pages ----------------------------------------------------------------------------------
def test_the_statement_pages_by_cursor_and_htmx_gets_only_the_next_page() -> None:
    moves = [{"id": str(i), "kind": "voucher_purchase", "amount_cents": -1000,
              "plan_id": "p1", "occurred_at": "2099-05-01T10:00:00+00:00"} for i in range(20)]
    api = FakeApi({("GET", "/me/wallet"): WALLET,
                   ("GET", "/me/transactions"): {"items": moves, "next_cursor": "80"}})
    first = html(pages.statement(make_page(api, path="/statement")))
    assert "Welfare 2099" in first and "350,00\xa0€" in first
    assert 'href="/statement?cursor=80"' in first and 'hx-get="/statement?cursor=80"' in first
    assert first.count("Voucher acquistato") == 20 and "data-autofocus" not in first
    more = html(pages.statement(make_page(api, path="/statement", query={"cursor": "80"},
                                          htmx=True)))
    assert "<html" not in more and "data-autofocus" in more and 'id="more-moves"' in more
    assert api.sent("GET", "/me/transactions")[-1]["params"] == {"limit": 20, "cursor": "80"}


def test_a_refund_goes_to_the_api_as_multipart_with_the_receipt_sniffed() -> None:
    api = FakeApi({("POST", "/me/reimbursements"): {"id": "r1"}})
    form = {"csrf_token": "tok", "idempotency_key": "k1", "category": "education",
            "amount": "1.234,50", "spent_on": "2020-02-03", "provider_tax_id": "4567 8900 049",
            "beneficiary_fiscal_code": "rssmra85t10a562s",
            "receipt": (io.BytesIO(PNG), "scontrino.jpg", "application/octet-stream")}
    response = pages.request_reimbursement(make_page(api, "POST", "/reimbursements/new",
                                                     data=form))
    assert response.status_code == 303
    assert response.headers["Location"] == "/reimbursements?sent=r1"
    [sent] = api.sent("POST", "/me/reimbursements")
    assert sent["key"] == "k1"
    assert sent["data"] == {"amount_cents": "123450", "category": "education",
                            "spent_on": "2020-02-03", "provider_tax_id": "45678900049",
                            "beneficiary_fiscal_code": "RSSMRA85T10A562S"}
    assert sent["files"] == {"receipt": ("scontrino.jpg", PNG, "image/png")}


def test_a_refund_form_with_mistakes_keeps_what_was_typed_and_its_key() -> None:
    api = FakeApi({("GET", "/me/wallet"): WALLET})
    form = {"csrf_token": "tok", "idempotency_key": "k2", "category": "wellbeing",
            "amount": "12,5x", "spent_on": "2999-01-01", "provider_tax_id": "45678900049",
            "beneficiary_fiscal_code": "",
            "receipt": (io.BytesIO(b"GIF89a..."), "receipt.gif", "image/gif")}
    response = pages.request_reimbursement(make_page(api, "POST", "/reimbursements/new",
                                                     data=form))
    page = html(response)
    assert response.status_code == 400 and not api.sent("POST", "/me/reimbursements")
    for field in ("amount", "category", "spent_on", "beneficiary_fiscal_code", "receipt"):
        assert f'href="#f-{field}"' in page, field
    assert 'value="12,5x"' in page and 'value="45678900049"' in page
    assert 'name="idempotency_key" value="k2"' in page  # nothing was sent: the same key
    assert "non è un PDF, un JPEG o un PNG" in page and 'id="receipt-again"' in page
    assert 'capture="environment"' in page and 'accept="image/*,application/pdf"' in page


def test_a_refund_the_api_refuses_comes_back_beside_the_field_with_a_new_key() -> None:
    api = FakeApi({("GET", "/me/wallet"): WALLET, ("POST", "/me/reimbursements"): refused(
        422, R.BENEFICIARY_NOT_IN_FAMILY(field="beneficiary_fiscal_code"))})
    form = {"csrf_token": "tok", "idempotency_key": "k3", "category": "fringe",
            "amount": "80", "spent_on": "2020-02-03", "provider_tax_id": "45678900049",
            "beneficiary_fiscal_code": "BNCLRA90A41F205I",
            "receipt": (io.BytesIO(PDF), "bolletta.pdf", "application/pdf")}
    response = pages.request_reimbursement(make_page(api, "POST", "/reimbursements/new",
                                                     data=form, lang="en"))
    page = html(response)
    assert response.status_code == 400
    assert 'href="#f-beneficiary_fiscal_code"' in page and "dependent child" in page
    assert 'value="BNCLRA90A41F205I"' in page and 'value="k3"' not in page


def test_my_refunds_say_the_reason_of_a_refusal() -> None:
    items = [{"id": "r2", "category": "education", "amount_cents": 12050,
              "spent_on": "2099-01-02", "status": "rejected", "reason": "Manca il codice.",
              "created_at": "2099-01-03T10:00:00+00:00",
              "decided_at": "2099-01-04T10:00:00+00:00"},
             {"id": "r1", "category": "fringe", "amount_cents": 8000, "spent_on": "2099-01-01",
              "status": "requested", "reason": None,
              "created_at": "2099-01-01T10:00:00+00:00", "decided_at": None}]
    api = FakeApi({("GET", "/me/reimbursements"): {"items": items, "next_cursor": None}})
    page = html(pages.reimbursements(make_page(api, path="/reimbursements",
                                               query={"sent": "r1"})))
    assert "Rifiutato" in page and "Manca il codice." in page
    assert "In attesa delle risorse umane" in page and 'role="status"' in page
    assert "80,00\xa0€ sono accantonati" in page


def test_the_voucher_shows_where_to_use_it_and_survives_without_it() -> None:
    api = FakeApi({("GET", "/me/vouchers/v1"): dict(VOUCHER),
                   ("GET", "/offerings/o1"): OFFERING})
    page = html(pages.voucher(make_page(api, path="/vouchers/v1"), "v1"))
    assert "Asilo Nido Il Girasole" in page and "Via Po 12, Torino" in page
    assert '<svg role="img"' in page and VOUCHER["code"] in page
    assert "31/12/2099" in page and "01/01/2100" not in page
    api.answers[("GET", "/offerings/o1")] = ApiError(503, "unavailable", "down")
    page = html(pages.voucher(make_page(api, path="/vouchers/v1"), "v1"))
    assert '<svg role="img"' in page and VOUCHER["code"] in page and "Via Po" not in page


def test_a_buy_the_wallet_refuses_re_renders_the_offering_with_the_reason() -> None:
    api = FakeApi({("GET", "/offerings/o1"): OFFERING, ("GET", "/me/wallet"): WALLET,
                   ("POST", "/me/vouchers"): refused(422, R.NOT_ENOUGH_CREDIT(
                       needed_cents=45_000, available_cents=35_000, field="offering_id"))})
    response = pages.buy(make_page(api, "POST", "/offerings/o1/buy", data={
        "csrf_token": "tok", "idempotency_key": "k", "plan_id": "p1"}), "o1")
    page = html(response)
    assert response.status_code == 422 and "Credito insufficiente" in page
    assert 'class="error-summary"' in page and page.count("Credito insufficiente") == 1


def test_proposals_say_what_is_missing_and_show_their_progress() -> None:
    proposals = {"items": [{"id": "1", "name": "Piscina", "city": "Torino",
                            "category": "wellbeing", "status": "applied", "provider_id": None,
                            "created_at": "2099-01-01T10:00:00+00:00"}], "next_cursor": None}
    api = FakeApi({("GET", "/me/provider-proposals"): proposals,
                   ("POST", "/me/provider-proposals"): {"id": "2"}})
    response = pages.propose(make_page(api, "POST", "/propose", data={"csrf_token": "tok"}))
    page = html(response)
    assert response.status_code == 400 and page.count('class="field-error"') == 4
    assert 'aria-current="step"' in page and "Ha chiesto di aderire" in page
    response = pages.propose(make_page(api, "POST", "/propose", data={
        "csrf_token": "tok", "name": "Piscina", "city": "Torino",
        "email": "info@piscina.example", "category": "wellbeing"}))
    assert response.status_code == 303 and response.headers["Location"] == "/propose?sent=1"
    assert api.sent("POST", "/me/provider-proposals")[0]["json"]["email"] == (
        "info@piscina.example")


def test_a_sixth_proposal_in_a_day_says_so_and_keeps_what_was_typed() -> None:
    api = FakeApi({("GET", "/me/provider-proposals"): {"items": [], "next_cursor": None},
                   ("POST", "/me/provider-proposals"): ApiError(
                       429, "too_many_proposals", "at most 5 provider proposals a day; …",
                       params={"per_day": 5, "retry_after": 3600})})
    response = pages.propose(make_page(api, "POST", "/propose", data={
        "csrf_token": "tok", "name": "Piscina", "city": "Torino",
        "email": "info@piscina.example", "category": "wellbeing"}))
    page = html(response)
    assert response.status_code == 429 and 'class="error-summary"' in page
    assert "Oggi hai già proposto diversi fornitori" in page
    assert 'value="info@piscina.example"' in page


def test_notifications_are_marked_read_and_preferences_saved() -> None:
    feed = {"items": [{"id": "3", "kind": "k", "subject": "Tre", "body": "b",
                       "created_at": "2099-01-01T10:00:00+00:00", "read_at": None},
                      {"id": "2", "kind": "k", "subject": "Due", "body": "b",
                       "created_at": "2099-01-01T10:00:00+00:00",
                       "read_at": "2099-01-02T10:00:00+00:00"},
                      {"id": "1", "kind": "k", "subject": "Uno", "body": "b",
                       "created_at": "2099-01-01T10:00:00+00:00", "read_at": None}],
            "next_cursor": None}
    api = FakeApi({("GET", "/me/notifications"): feed,
                   ("GET", "/me/notification-preferences"): {"language": "it",
                                                             "non_essential_email": True},
                   ("POST", "/me/notifications/3/read"): {},
                   ("POST", "/me/notifications/1/read"): {},
                   ("PUT", "/me/notification-preferences"): {}})
    page = html(pages.notifications(make_page(api, path="/notifications")))
    assert "2 da leggere" in page and page.count('action="/notifications/') == 4
    response = pages.mark_all_read(make_page(api, "POST", "/notifications/read-all",
                                             data={"csrf_token": "tok"}))
    assert response.status_code == 303
    assert [p for m, p, _ in api.calls if m == "POST"] == ["/me/notifications/3/read",
                                                          "/me/notifications/1/read"]
    pages.save_preferences(make_page(api, "POST", "/notifications/preferences", data={
        "csrf_token": "tok", "language": "en"}))
    assert api.sent("PUT", "/me/notification-preferences")[0]["json"] == {
        "language": "en", "non_essential_email": False}


def test_the_more_menu_counts_what_is_unread_and_signs_out() -> None:
    unread = [{"id": str(i), "read_at": None} for i in range(20)]
    api = FakeApi({("GET", "/me/notifications"): {"items": unread, "next_cursor": "1"}})
    page = html(pages.more(make_page(api, path="/more")))
    assert "20+ da leggere" in page and 'action="/sign-out"' in page
    assert 'href="/statement"' in page and 'href="/propose"' in page
    api.answers[("GET", "/me/notifications")] = ApiError(503, "unavailable", "down")
    assert "da leggere" not in html(pages.more(make_page(api, path="/more")))
