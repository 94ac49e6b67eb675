"""Pages where access ends (issue 23.2), without any server: an operator finds and
disables any account; an HR manager removes a colleague's HR access; an employee who
left sees, on every page, until when they may read and download, and is offered
nothing to buy or ask. Italian and English; every form with its CSRF token."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from web.client import Answer, ApiError
from web.pages.admin import AdminPages
from web.pages.employee import EmployeePages
from web.pages.hr_people import HrPeoplePages
from web.routing import Page
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

ME, OTHER = "u-me", "u-other"


def _token(role: str) -> str:
    claims = base64.urlsafe_b64encode(json.dumps({
        "role": role, "sub": ME, "company_id": "c1", "exp": int(time.time()) + 3600}
    ).encode()).decode().rstrip("=")
    return f"x.{claims}.y"


class FakePage(Page):
    """A page whose API answers are canned: {(method, path): answer}; an exception is
    raised, a callable gets the call's kwargs; `headers` come with every answer."""

    def __init__(self, role: str, answers: dict[tuple[str, str], Any], method: str = "GET",
                 path: str = "/", form: dict[str, str] | None = None,
                 query: dict[str, str] | None = None, lang: str = "en",
                 headers: dict[str, str] | None = None) -> None:
        builder = EnvironBuilder(method=method, path=path, data=form, query_string=query,
                                 headers={"Cookie": f"wecare_at={_token(role)}; "
                                                    f"wecare_csrf=c; wecare_lang={lang}"})
        super().__init__(Request(builder.get_environ()))
        self.answers, self.headers = answers, headers or {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs)

    def api_all(self, *calls: Any, soft: bool = False) -> list[Any]:
        results = []
        for c in calls:
            try:
                results.append(self._call(*c[:2], **(c[2] if len(c) > 2 else {})))
            except ApiError as exc:
                if not soft or exc.status in (401, 403):
                    raise
                results.append(None)  # a part that cannot answer now
        return results

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path, kwargs))
        self._heard(self.headers)
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        return answer(kwargs) if callable(answer) else answer


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def well_formed(page: str) -> None:
    assert page.count("<h1") == 1
    for form in re.findall(r'<form method="post".*?</form>', page, re.S):
        assert 'name="csrf_token" value="c"' in form, form
    assert "style=" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)


def account(uid: str, email: str, status: str = "active", role: str = "hr") -> dict:
    return {"id": uid, "email": email, "role": role, "company_id": "c1", "employee_id": None,
            "provider_id": None, "status": status, "created_at": "2026-01-02T10:00:00+00:00",
            "disabled_at": "2026-03-12T09:42:00+00:00" if status in ("disabled", "removed")
            else None, "left_at": None, "access_until": None}


# -- operators: accounts -------------------------------------------------------------------
FOUND = {"items": [account(ME, "admin@wecare.test", role="admin"),
                   account(OTHER, "mario@officinerossi.test", role="employee"),
                   account("u-3", "anna@officinerossi.test", "disabled", "employee")],
         "next_cursor": None}


@pytest.mark.parametrize("lang, words", [
    ("en", ["3 accounts found", "Disable", "Enable", "Disabled on 12 Mar 2026", "Employee"]),
    ("it", ["3 account trovati", "Disattiva", "Riattiva", "Disattivato il 12/03/2026",
            "Dipendente"])])
def test_an_operator_finds_accounts_and_may_disable_any_but_their_own(lang, words) -> None:
    page = FakePage("admin", {("GET", "/accounts"): FOUND}, path="/admin/accounts",
                    query={"email": "officinerossi"}, lang=lang)
    text = html(AdminPages().admin_accounts(page))
    well_formed(text)
    for word in words:
        assert word in text, word
    assert page.calls[0][2]["params"] == {"email": "officinerossi"}
    assert f'action="/admin/accounts/{ME}/access"' not in text  # not yourself
    assert f'action="/admin/accounts/{OTHER}/access"' in text


def test_disabling_sends_it_and_says_so_and_a_refusal_is_said_by_its_code() -> None:
    sent: list[dict] = []
    page = FakePage("admin", {("POST", f"/accounts/{OTHER}/access"): lambda kw: (
        sent.append(kw["json"]) or account(OTHER, "mario@officinerossi.test", "disabled"))},
        method="POST", path=f"/admin/accounts/{OTHER}/access",
        form={"csrf_token": "c", "enabled": "false", "email": "mario"})
    response = AdminPages().admin_account_access(page, OTHER)
    assert sent == [{"enabled": False}] and response.status_code == 303
    assert response.headers["Location"] == (
        "/admin/accounts?email=mario&done=disabled&who=mario%40officinerossi.test")
    refused = FakePage("admin", {
        ("POST", f"/accounts/{ME}/access"): ApiError(
            409, "not_yourself", "you cannot take away your own access: ask a colleague"),
        ("GET", "/accounts"): FOUND}, method="POST", path=f"/admin/accounts/{ME}/access",
        form={"csrf_token": "c", "enabled": "false", "email": "wecare"}, lang="it")
    response = AdminPages().admin_account_access(refused, ME)
    assert response.status_code == 409
    assert "Non puoi togliere l&#39;accesso a te stesso" in html(response)


# -- HR: colleagues --------------------------------------------------------------------------
COLLEAGUES = {"items": [account(ME, "giulia@officinerossi.test"),
                        account(OTHER, "carla@officinerossi.test"),
                        account("u-3", "piero@officinerossi.test", "removed")],
              "next_cursor": None}


@pytest.mark.parametrize("lang, words", [
    ("en", ["HR colleagues", "(you)", "Remove access", "Access removed"]),
    ("it", ["Colleghi HR", "(tu)", "Togli l&#39;accesso", "Accesso tolto"])])
def test_hr_sees_its_colleagues_and_may_remove_any_but_itself(lang, words) -> None:
    page = FakePage("hr", {("GET", "/companies/c1/hr-managers"): COLLEAGUES},
                    path="/hr/colleagues", lang=lang)
    text = html(HrPeoplePages().hr_colleagues(page))
    well_formed(text)
    for word in words:
        assert word in text, word
    assert 'action="/hr/colleagues/u-other/removal"' in text
    assert f'action="/hr/colleagues/{ME}/removal"' not in text
    assert 'action="/hr/colleagues/u-3/removal"' not in text  # removed already


def test_removing_a_colleague_says_who_lost_access() -> None:
    page = FakePage("hr", {("POST", f"/companies/c1/hr-managers/{OTHER}/removal"):
                           account(OTHER, "carla@officinerossi.test", "removed")},
                    method="POST", path=f"/hr/colleagues/{OTHER}/removal",
                    form={"csrf_token": "c"})
    response = HrPeoplePages().hr_remove_colleague(page, OTHER)
    assert response.status_code == 303
    assert response.headers["Location"] == "/hr/colleagues?removed=carla%40officinerossi.test"
    done = FakePage("hr", {("GET", "/companies/c1/hr-managers"): COLLEAGUES},
                    path="/hr/colleagues", query={"removed": "carla@officinerossi.test"})
    assert "carla@officinerossi.test no longer has access" in html(
        HrPeoplePages().hr_colleagues(done))


# -- an employee who left --------------------------------------------------------------------
NO_WORTH = ApiError(503, "service_unavailable", "benefits is down")  # the page goes without
UNTIL = {"WeCare-Read-Only-Until": "2027-01-06T10:00:00+00:00"}
WALLET = {"plans": [], "total_cents": 0, "expiring_cents": 0,
          "fringe": {"year": 2026, "used_cents": 0, "limit_cents": 100_000,
                     "room_cents": 100_000}}
OFFERING = {"id": "o1", "title": "Retta", "category": "education", "price_cents": 1_000,
            "provider_name": "Asilo", "address": "Via Po 1", "city": "Torino",
            "description": ""}


@pytest.mark.parametrize("lang, words", [
    ("en", ["You have left the company. Until 6 Jan 2027", "Download your movements"]),
    ("it", ["Hai lasciato l&#39;azienda. Fino al 06/01/2027", "Scarica i tuoi movimenti"])])
def test_every_page_says_until_when_a_leaver_reads_and_offers_nothing_to_buy(lang,
                                                                             words) -> None:
    page = FakePage("employee", {("GET", "/offerings/o1"): OFFERING,
                                 ("GET", "/me/wallet"): WALLET, ("GET", "/me/worth"): NO_WORTH},
                    path="/offerings/o1",
                    headers=UNTIL, lang=lang)
    text = html(EmployeePages().offering(page, "o1"))
    for word in words:
        assert word in text, word
    assert 'href="/statement.csv"' in text and "/buy" not in text


def test_a_buy_refused_after_leaving_is_said_by_its_code() -> None:
    page = FakePage("employee", {
        ("POST", "/me/vouchers"): ApiError(403, "read_only_after_leaving", "…",
                                           params={"until": "2027-01-06"}, headers=UNTIL),
        ("GET", "/offerings/o1"): OFFERING, ("GET", "/me/wallet"): WALLET,
        ("GET", "/me/worth"): NO_WORTH}, method="POST", path="/offerings/o1/buy",
        form={"csrf_token": "c", "idempotency_key": "k"})
    response = EmployeePages().buy(page, "o1")
    assert response.status_code == 403 and 'class="error-summary"' in html(response)
    assert "until 6 Jan 2027 you can read and download" in html(response)


def test_the_statement_downloads_as_a_file() -> None:
    csv = b"occurred_at;kind;plan_id;plan_name;amount_cents\r\n"
    page = FakePage("employee", {("GET", "/me/statement.csv"): lambda kw: Answer(
        200, None, {}, csv)}, path="/statement.csv")
    response = EmployeePages().statement_csv(page)
    assert response.mimetype == "text/csv" and response.get_data() == csv
    assert "attachment" in response.headers["Content-Disposition"]
