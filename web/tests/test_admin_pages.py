"""The operators' pages without any server: each page rendered from canned API
answers (one h1, every form with its CSRF token, no inline script or style),
what each form sends to the API, and what a refusal or a repeat becomes."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from web.client import Answer, ApiError
from web.i18n import Lang
from web.pages.admin import AdminPages, bps_to_percent, percent_to_bps
from web.routing import Page
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

CLAIMS = base64.urlsafe_b64encode(json.dumps(
    {"role": "admin", "exp": 4_000_000_000}).encode()).decode().rstrip("=")
TOKEN = f"x.{CLAIMS}.y"
PID, TID, RUN, MID = "p-1", "t-1", "0b3f9a5e-6f43-4c1e-9d2a-6a1f3e2b7c55", "abc123"


class FakePage(Page):
    """A request to a page whose API answers are canned: {(method, path): answer}
    (an exception is raised, a callable gets the call's kwargs)."""

    def __init__(self, answers: dict[tuple[str, str], Any], method: str = "GET",
                 path: str = "/admin", form: dict[str, str] | None = None,
                 query: dict[str, str] | None = None, lang: str = "en") -> None:
        builder = EnvironBuilder(method=method, path=path, data=form, query_string=query,
                                 headers={"Cookie": f"wecare_at={TOKEN}; wecare_csrf=c; "
                                                    f"wecare_lang={lang}"})
        super().__init__(Request(builder.get_environ()))
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path, kwargs))
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        return answer(kwargs) if callable(answer) else answer

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.api(method, path, **kwargs)  # api_all's calls, canned too


def provider(pid: str, status: str, bps: int | None = None) -> dict[str, Any]:
    return {"id": pid, "name": f"Nido {pid}", "vat_number": "45678900049",
            "categories": ["education"], "address": "Via Po 1", "city": "Torino",
            "province": "TO", "email": f"{pid}@example.test", "status": status,
            "commission_bps": bps, "agreement_start": "2026-01-10" if bps is not None else None,
            "created_at": "2026-01-02T10:00:00+00:00"}


PAGE = {"items": [], "next_cursor": None}
PROVIDERS = {
    ("GET", "/providers"): lambda kw: {"items": {
        "pending": [provider(PID, "pending")], "approved": [provider("p-2", "approved", 300)],
        "suspended": [provider("p-3", "suspended", 0)]}[kw["params"]["status"]],
        "next_cursor": None},
    ("GET", "/circuit"): {"items": [{k: v for k, v in provider("p-2", "approved").items()
                                     if k in ("id", "name", "categories", "city", "address",
                                              "province")}], "next_cursor": None},
}
PREVIEW = {"items": [
    {"provider_id": "p-2", "provider_name": "Nido p-2", "vouchers": 2, "gross_cents": 20_000,
     "commission_cents": 600, "net_cents": 19_400, "method": "sepa", "payable": True},
    {"provider_id": "p-9", "provider_name": "No IBAN", "vouchers": 1, "gross_cents": 1_000,
     "commission_cents": 0, "net_cents": 1_000, "method": None, "payable": False}],
    "total_gross_cents": 20_000, "total_commission_cents": 600, "total_net_cents": 19_400,
    "waiting_cents": 1_000}
RUNS = {"items": [{"id": RUN, "created_at": "2026-03-01T09:00:00+00:00", "payouts": 1,
                   "total_cents": 19_400, "has_sepa": True}], "next_cursor": None}
AUDIT = {"balanced": True, "sum_cents": 0, "accounts": 12, "negative_accounts": [],
         "drifted_accounts": [], "unbalanced_transactions": []}
FAILED = {"items": [{"id": "7", "event_id": "e", "recipient": "employee:1",
                     "email_to": "mario@example.test", "kind": "voucher_issued",
                     "attempts": 5, "error": "ConnectionRefusedError"}]}
PARKED = {"items": [{"id": MID, "queue": "notifications.on_event", "attempts": 5,
                     "error": "KeyError: 'title'", "event_id": "e-1",
                     "event_type": "voucher.redeemed", "producer": "wallet",
                     "occurred_at": "2026-03-01T09:00:00+00:00", "body": {}}]}
TRANSFERS = {"items": [{"id": TID, "company_id": "c-1", "company_name": "Officine Rossi",
                        "amount_cents": 500_000, "method": "bank_transfer",
                        "status": "pending", "bank_reference": "WC-ABCDE-FGHJK",
                        "created_at": "2026-03-01T09:00:00+00:00"}], "next_cursor": None}
EVERYTHING = {**PROVIDERS, ("GET", "/topups"): TRANSFERS,
              ("GET", "/settlements/preview"): PREVIEW, ("GET", "/settlements"): RUNS,
              ("GET", "/ledger/audit"): AUDIT, ("GET", "/notifications/failed"): FAILED,
              ("GET", "/dead-letters"): PARKED}
pages = AdminPages()


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def assert_well_formed(html: str) -> None:
    """One h1; every form that posts carries the CSRF token; nothing inline."""
    assert html.count("<h1") == 1
    for form in re.findall(r'<form method="post".*?</form>', html, re.S):
        assert 'name="csrf_token" value="c"' in form, form
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


@pytest.mark.parametrize("typed, bps", [
    ("3", 300), ("0", 0), ("2,5", 250), ("2.75", 275), ("3 %", 300), ("0,01", 1),
    ("", None), ("abc", None), ("-1", None), ("2,555", None),
])
def test_a_commission_typed_in_percent_becomes_basis_points(typed: str, bps: int | None) -> None:
    assert percent_to_bps(typed) == bps


@pytest.mark.parametrize("bps, it, en", [(300, "3", "3"), (250, "2,5", "2.5"), (0, "0", "0"),
                                         (1000, "10", "10"), (275, "2,75", "2.75")])
def test_basis_points_read_as_a_percentage(bps: int, it: str, en: str) -> None:
    assert bps_to_percent(Lang("it"), bps) == it and bps_to_percent(Lang("en"), bps) == en


@pytest.mark.parametrize("handler, path", [
    ("admin_home", "/admin"), ("admin_providers", "/admin/providers"),
    ("admin_transfers", "/admin/transfers"), ("admin_settlements", "/admin/settlements"),
    ("admin_health", "/admin/health")])
@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_page_renders_well_formed(handler: str, path: str, lang: str) -> None:
    response = getattr(pages, handler)(FakePage(EVERYTHING, path=path, lang=lang))
    assert response.status_code == 200
    assert_well_formed(html_of(response))


def test_the_overview_counts_what_waits_and_survives_a_part_that_does_not_answer() -> None:
    answers = {**EVERYTHING, ("GET", "/dead-letters"): ApiError(503, "unavailable", "down")}
    html = html_of(pages.admin_home(FakePage(answers)))
    assert "1</strong> application waiting for a decision" in html
    assert "1</strong> transfer to confirm" in html
    assert "A run would pay €194.00 to 1 provider." in html
    assert "€10.00 waits: no IBAN or Stripe account" in html
    assert "1</strong> email failed after every try" in html
    assert "Not available right now" in html  # the dead letters, and only them
    assert "The ledger is balanced." in html and 'href="/admin/transfers"' in html


def test_an_unbalanced_ledger_is_said_in_words_not_colour_alone() -> None:
    audit = {**AUDIT, "balanced": False, "sum_cents": 5, "negative_accounts": ["voucher:1"]}
    html = html_of(pages.admin_health(FakePage({**EVERYTHING, ("GET", "/ledger/audit"): audit},
                                               path="/admin/health")))
    assert "The ledger is NOT balanced." in html and "voucher:1" in html


@pytest.mark.parametrize("typed, bps", [("0", 0), ("2,5", 250), ("3", 300)])
def test_approving_sends_the_commission_in_basis_points(typed: str, bps: int) -> None:
    page = FakePage({**PROVIDERS, ("POST", f"/providers/{PID}/approval"): provider(
        PID, "approved", bps)}, method="POST", path=f"/admin/providers/{PID}/approve",
        form={"commission": typed, "csrf_token": "c"})
    response = pages.approve_provider(page, PID)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/providers?done=approved&id={PID}"
    assert ("POST", f"/providers/{PID}/approval",
            {"json": {"status": "approved", "commission_bps": bps}}) in page.calls


@pytest.mark.parametrize("typed, message", [
    ("", "Enter the commission in percent"), ("abc", "Enter the commission in percent"),
    ("60", "at most 50%")])
def test_a_wrong_commission_is_said_beside_its_field_and_kept(typed: str, message: str) -> None:
    page = FakePage(PROVIDERS, method="POST", path=f"/admin/providers/{PID}/approve",
                    form={"commission": typed, "csrf_token": "c"})
    response = pages.approve_provider(page, PID)
    html = html_of(response)
    assert response.status_code == 400 and message in html
    assert f'href="#f-commission-{PID}"' in html  # the summary links to the field
    assert f'id="f-commission-{PID}-error"' in html and f'value="{typed}"' in html
    assert not [c for c in page.calls if c[0] == "POST"]  # nothing was sent
    assert_well_formed(html)


def test_the_api_s_refusal_of_a_commission_lands_on_its_field() -> None:
    refusal = ApiError(400, "validation_error", "invalid input", problems={
        "commission_bps": [{"code": "between", "params": {"min": 0, "max": 5000}}]})
    page = FakePage({**PROVIDERS, ("POST", f"/providers/{PID}/approval"): refusal},
                    method="POST", path=f"/admin/providers/{PID}/approve",
                    form={"commission": "5"}, lang="it")
    html = html_of(pages.approve_provider(page, PID))
    assert f'id="f-commission-{PID}-error"' in html and "Tra 0 e 5.000." in html


def test_after_a_decision_the_page_says_what_happened() -> None:
    html = html_of(pages.admin_providers(FakePage(
        PROVIDERS, path="/admin/providers", query={"done": "approved", "id": "p-2"})))
    assert 'role="status"' in html and "Nido p-2 is approved with a commission of 3%" in html


def test_a_suspended_provider_shows_what_it_is_owed_and_its_refused_redemptions() -> None:
    suspended = {**provider("p-3", "suspended", 0), "owed_cents": 12_345,
                 "refused_redemptions": 2, "last_refused_at": "2026-03-12T09:42:00+00:00"}
    listed = PROVIDERS[("GET", "/providers")]
    answers = {**PROVIDERS, ("GET", "/providers"): lambda kw: (
        {"items": [suspended], "next_cursor": None}
        if kw["params"]["status"] == "suspended" else listed(kw))}
    it = html_of(pages.admin_providers(FakePage(answers, path="/admin/providers", lang="it")))
    assert "123,45\xa0€" in it and "2 tentativi, l&#39;ultimo il 12/03/2026 10:42" in it
    assert "non può riscuotere buoni" in it
    en = html_of(pages.admin_providers(FakePage(answers, path="/admin/providers")))
    assert "€123.45" in en and "2 tries, the last on 12 Mar 2026, 10:42" in en


def test_a_transfer_is_confirmed_once_and_a_second_time_says_so() -> None:
    confirmed = {**TRANSFERS["items"][0], "status": "succeeded"}
    page = FakePage({("POST", f"/topups/{TID}/confirmation"): confirmed}, method="POST",
                    form={"reference": "WC-ABCDE-FGHJK", "company": "Officine Rossi"})
    response = pages.confirm_transfer(page, TID)
    assert response.status_code == 303 and "confirmed=WC-ABCDE-FGHJK" in response.headers[
        "Location"] and "amount=500000" in response.headers["Location"]

    again = FakePage({("POST", f"/topups/{TID}/confirmation"): ApiError(
        409, "conflict", "this top-up is already succeeded")}, method="POST",
        form={"reference": "WC-ABCDE-FGHJK"})
    response = pages.confirm_transfer(again, TID)
    assert response.headers["Location"] == "/admin/transfers?already=WC-ABCDE-FGHJK"
    html = html_of(pages.admin_transfers(FakePage(
        {("GET", "/topups"): PAGE}, path="/admin/transfers",
        query={"already": "WC-ABCDE-FGHJK"})))
    assert "Transfer WC-ABCDE-FGHJK was already confirmed." in html
    assert "Nothing was credited twice." in html and 'role="status"' in html
    html = html_of(pages.admin_transfers(FakePage(
        {("GET", "/topups"): PAGE}, path="/admin/transfers", query={
            "confirmed": "WC-ABCDE-FGHJK", "amount": "500000", "company": "Officine Rossi"})))
    assert "The welfare fund of Officine Rossi has received €5,000.00." in html


def test_the_settlement_form_carries_a_fresh_key_and_sends_it() -> None:
    keys = [re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html_of(
        pages.admin_settlements(FakePage(EVERYTHING, path="/admin/settlements")))).group(1)
        for _ in range(2)]
    assert keys[0] != keys[1]  # one per rendered form
    page = FakePage({**EVERYTHING, ("POST", "/settlements"): {"id": RUN}}, method="POST",
                    form={"idempotency_key": keys[0]})
    response = pages.run_settlement(page)
    assert response.headers["Location"] == f"/admin/settlements/{RUN}?new=1"
    assert ("POST", "/settlements", {"key": keys[0]}) in page.calls
    no_key = FakePage(EVERYTHING, method="POST", form={})
    assert pages.run_settlement(no_key).status_code == 400
    assert not [c for c in no_key.calls if c[0] == "POST"]


def test_nothing_to_pay_shows_no_button() -> None:
    empty = {"items": [], "total_gross_cents": 0, "total_commission_cents": 0,
             "total_net_cents": 0, "waiting_cents": 0}
    html = html_of(pages.admin_settlements(FakePage(
        {**EVERYTHING, ("GET", "/settlements/preview"): empty}, path="/admin/settlements")))
    assert "Nothing to pay right now" in html and "idempotency_key" not in html


def test_a_run_and_its_sepa_file_downloaded() -> None:
    run = {"id": RUN, "created_at": "2026-03-01T09:00:00+00:00", "total_cents": 19_400,
           "has_sepa": True, "payouts": [{
               "id": "po-1", "provider_id": "p-2", "provider_name": "Nido p-2",
               "amount_cents": 19_400, "commission_cents": 600, "method": "sepa",
               "reference": "WC0123", "created_at": "2026-03-01T09:00:00+00:00"}]}
    html = html_of(pages.settlement_run(FakePage(
        {("GET", f"/settlements/{RUN}"): run}, path=f"/admin/settlements/{RUN}",
        query={"new": "1"}), RUN))
    assert_well_formed(html)
    assert f'href="/admin/settlements/{RUN}/sepa.xml"' in html and "WC0123" in html
    assert "The settlement has run: 1 payout, €194.00 in all." in html
    xml = b'<?xml version="1.0"?><Document/>'
    response = pages.settlement_sepa(FakePage(
        {("GET", f"/settlements/{RUN}/sepa.xml"): lambda kw: Answer(200, None, {}, xml)
         if kw.get("raw") else None}), RUN)
    assert response.get_data() == xml and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="wecare-settlement-0b3f9a5e.xml"')


def test_a_parked_message_is_replayed_once_and_emails_are_retried() -> None:
    html = html_of(pages.admin_health(FakePage(EVERYTHING, path="/admin/health")))
    assert f'action="/admin/health/dead-letters/{MID}/replay"' in html
    assert "KeyError: &#39;title&#39;" in html and "notifications.on_event" in html
    page = FakePage({("POST", f"/dead-letters/{MID}/replay"): {"id": MID, "replayed": True}},
                    method="POST", form={"event_type": "voucher.redeemed"})
    assert pages.replay_dead_letter(page, MID).headers["Location"] == (
        "/admin/health?replayed=voucher.redeemed#dead-letters")
    gone = FakePage({("POST", f"/dead-letters/{MID}/replay"): ApiError(
        404, "not_found", "no such message is parked")}, method="POST", form={})
    assert pages.replay_dead_letter(gone, MID).headers["Location"] == (
        "/admin/health?gone=1#dead-letters")
    retry = FakePage({("POST", "/notifications/failed/retry"): {"sent": 3}}, method="POST")
    assert pages.retry_emails(retry).headers["Location"] == "/admin/health?retried=3#emails"
    html = html_of(pages.admin_health(FakePage(EVERYTHING, path="/admin/health",
                                               query={"retried": "3"})))
    assert "3 emails sent again." in html


# -- a provider's offline limits (docs/offline.md) -------------------------------------------
LIMITS = {"voucher_cents": 15_000, "waiting_cents": 50_000, "hours": 48}
DUPLICATE = {"voucher_id": "v-1", "code": "7ZQW-FRJX-W0H4-M6XQ-W", "amount_cents": 6_000,
             "device_id": "phone-b", "accepted_at": "2026-03-12T09:42:00+00:00",
             "received_at": "2026-03-12T12:00:00+00:00",
             "first_redeemed_at": "2026-03-12T09:20:00+00:00", "first_device_id": "phone-a"}
OFFLINE = {**PROVIDERS, ("GET", "/providers/p-2/offline-limits"): LIMITS,
           ("GET", "/providers/p-2/offline-duplicates"): {"items": [DUPLICATE]}}


def test_the_operators_set_a_providers_offline_limits_and_see_what_was_accepted_twice() -> None:
    for lang, amount, twice in (("it", "150,00", "Accettati due volte"),
                                ("en", "150.00", "Accepted twice")):
        html = html_of(pages.provider_offline(FakePage(OFFLINE, lang=lang), "p-2"))
        assert_well_formed(html)
        assert f'value="{amount}"' in html and 'value="48"' in html
        assert twice in html and "7ZQW-FRJX-W0H4-M6XQ-W" in html
    sent: list[dict[str, Any]] = []
    page = FakePage({**OFFLINE, ("PUT", "/providers/p-2/offline-limits"):
                     lambda kw: sent.append(kw["json"]) or kw["json"]}, method="POST",
                    form={"voucher": "99,50", "waiting": "300", "hours": "12"}, lang="it")
    response = pages.set_provider_offline(page, "p-2")
    assert response.status_code == 303 and response.headers["Location"].endswith("done=1")
    assert sent == [{"voucher_cents": 9_950, "waiting_cents": 30_000, "hours": 12}]
    bad = FakePage(OFFLINE, method="POST", form={"voucher": "x", "waiting": "300",
                                                 "hours": "-1"})
    response = pages.set_provider_offline(bad, "p-2")
    html = html_of(response)
    assert response.status_code == 400 and 'aria-invalid="true"' in html
    assert "Enter a whole number of hours" in html
    circuit = html_of(pages.admin_providers(FakePage(
        {**PROVIDERS, ("GET", "/providers"): lambda kw: {"items": [
            {**provider("p-2", "approved", 300), "offline_duplicates": 2}]
            if kw["params"]["status"] == "approved" else [], "next_cursor": None}},
        path="/admin/providers")))
    assert 'href="/admin/providers/p-2/offline"' in circuit
    assert "2 vouchers accepted twice" in circuit
