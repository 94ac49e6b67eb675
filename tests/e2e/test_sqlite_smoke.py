"""`make run`'s default database is SQLite (a file per service): the same processes as
`make run` on SQLite files, the demo seeded through the API, and the paths people take on
it — a search, a purchase (retried with its key), a redemption, a reimbursement with its
receipt decided by HR, the voucher's email, the pages — with the ledger balanced after.
The rest of the suite runs on PostgreSQL; this is what keeps the embedded default honest."""

from __future__ import annotations

import email
import email.policy
import mailbox
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from support import harness as harness_module
from support.e2e import Stack as Client

pytestmark = pytest.mark.integration  # a whole stack, on RabbitMQ
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list]]:
    harness = harness_module.load()
    from scripts.seed import seed

    data = tmp_path_factory.mktemp("sqlite")
    with harness.stack(harness.Ports.free(), data, prefix="wecare_sqlite_",
                       database_url=f"sqlite:///{data / 'db'}") as running:
        yield running, seed(running.url, *harness.ADMIN)


def _login(logins: list, role: str, n: int = 0) -> tuple[str, str]:
    return [(e, p) for r, e, p in logins if r == role][n]


def _until(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError("not within the time")


def _mails_with(mail: Path, text: str) -> int:
    if not mail.exists():
        return 0
    box = mailbox.Maildir(mail, create=False, factory=lambda f: (
        email.message_from_binary_file(f, policy=email.policy.default)))
    found = 0
    for message in box:
        body = message.get_body(preferencelist=("plain",))
        found += bool(body and text in body.get_content())
    return found


def test_make_runs_default_sqlite_serves_the_demo_end_to_end(sqlite_stack) -> None:
    running, logins = sqlite_stack
    assert (Path(running.database_url.split("///", 1)[1]) / "wallet.db").exists()  # a file each
    api = Client(running.url, smtp=None, stripe=None)
    admin = api.token(*_login(logins, "admin"))
    hr = api.token(*_login(logins, "hr"))
    mario = api.token(*_login(logins, "employee"))
    gym = api.token(*_login(logins, "provider", 1))  # Palestra Movimento

    # the demo's grant is credited (an event through the broker, on SQLite)
    wallet = _until(lambda: (w := api.call("GET", "/me/wallet", mario).json())
                    ["total_cents"] > 0 and w)
    hits = api.call("GET", "/offerings", mario, params={"q": "abbonamento"}).json()["items"]
    offering = next(h for h in hits if h["title"] == "Abbonamento trimestrale")

    key = uuid.uuid4().hex
    bought = api.call("POST", "/me/vouchers", mario, key=key,
                      json={"offering_id": offering["id"]})
    assert bought.status_code == 201, bought.text
    again = api.call("POST", "/me/vouchers", mario, key=key, json={"offering_id": offering["id"]})
    assert again.status_code == 201 and again.json()["id"] == bought.json()["id"]
    voucher = bought.json()
    # SQLite keeps no zone: the moments still come back in UTC, with their offset
    assert voucher["created_at"].endswith("+00:00"), voucher["created_at"]
    after = api.call("GET", "/me/wallet", mario).json()["total_cents"]
    assert after == wallet["total_cents"] - offering["price_cents"]  # bought once

    provider_id = api.call("GET", "/me", gym).json()["provider_id"]
    redeemed = api.call("POST", f"/providers/{provider_id}/redemptions", gym,
                        key=uuid.uuid4().hex, json={"code": voucher["code"]})
    assert redeemed.status_code == 200 and redeemed.json()["status"] == "redeemed", redeemed.text
    twice = api.call("POST", f"/providers/{provider_id}/redemptions", gym,
                     key=uuid.uuid4().hex, json={"code": voucher["code"]})
    assert twice.status_code == 409

    me = api.call("GET", "/me", mario).json()
    form = {"amount_cents": "5000", "category": "education",
            "spent_on": (date.today() - timedelta(days=2)).isoformat(),
            "provider_tax_id": "45678900049", "beneficiary_fiscal_code": "RSSMRA85T10A562S"}
    asked = api.call("POST", "/me/reimbursements", mario, key=uuid.uuid4().hex, data=form,
                     files={"receipt": ("ricevuta.pdf", PDF, "application/pdf")})
    assert asked.status_code == 201, asked.text
    receipt = api.call("GET", f"/companies/{me['company_id']}/reimbursements/"
                              f"{asked.json()['id']}/receipt", hr)
    assert receipt.status_code == 200 and receipt.content == PDF
    decided = api.call("POST", f"/reimbursements/{asked.json()['id']}/decision", hr,
                       key=uuid.uuid4().hex, json={"approved": True})
    assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.text
    assert api.call("GET", "/me/wallet", mario).json()["total_cents"] == after - 5000

    _until(lambda: _mails_with(running.mail, voucher["code"]) >= 1)
    audit = api.call("GET", "/ledger/audit", admin).json()
    assert audit["balanced"] and not audit["negative_accounts"], audit

    # the pages on SQLite too: each role signs in on the sign-in page and lands on its home
    for role in ("employee", "hr", "provider", "admin"):
        browser = requests.Session()
        assert browser.get(f"{running.url}/", timeout=10).status_code == 200
        mail, password = _login(logins, role)
        home = browser.post(f"{running.url}/sign-in", timeout=10, data={
            "email": mail, "password": password,
            "csrf_token": browser.cookies.get("wecare_csrf")})
        assert home.status_code == 200 and home.history, (role, home.status_code)
        assert "wecare_at" in browser.cookies, role


def test_a_network_of_firms_on_sqlite_too(sqlite_stack) -> None:
    """Networks on `make run`'s SQLite (docs/domain.md#networks): the demo firm joins a
    network, a provider of its territory gets an agreed price, the demo employee buys at
    it (the wallet's SQLite write path charges it too), and the console, the report and
    the public circuit and its page answer."""
    running, logins = sqlite_stack
    api = Client(running.url, smtp=None, stripe=None)
    admin = api.token(*_login(logins, "admin"))
    hr = api.token(*_login(logins, "hr"))
    mario = api.token(*_login(logins, "employee"))
    suffix = uuid.uuid4().hex[:6]
    staff_email = f"rete-{suffix}@sqlite.example"
    made = api.call("POST", "/networks", admin, json={
        "name": f"Rete SQLite {suffix}", "kind": "consortium", "tax_id": "80012340016",
        "territory": {"provinces": ["TO"], "municipalities": []},
        "staff": {"email": staff_email, "first_name": "Rita", "last_name": "Rete",
                  "password": "network-password-1"}})
    assert made.status_code == 201, made.text
    network = made.json()
    staff = api.token(staff_email, "network-password-1")
    invited = api.call("POST", f"/networks/{network['id']}/invitations", staff, json={
        "vat_number": "12345670017", "municipality": "Torino", "province": "TO"})
    assert invited.status_code == 201, invited.text
    me = api.call("GET", "/me", hr).json()
    joined = api.call("POST", f"/companies/{me['company_id']}/network-invitations/"
                      f"{invited.json()['id']}/answer", hr, json={"accept": True})
    assert joined.status_code == 200 and joined.json()["status"] == "active", joined.text

    email = f"piscina-{suffix}@sqlite.example"
    provider = api.call("POST", "/providers/enrolment", admin, json={
        "name": f"Piscina {suffix}", "vat_number": "98765430016", "categories": ["wellbeing"],
        "address": "Via Nizza 1", "city": "Torino", "province": "TO", "lat": 45.05,
        "lon": 7.67, "email": email, "password": "provider-password-1",
        "iban": "IT60X0542811101000000123456"}).json()
    api.call("POST", f"/providers/{provider['id']}/approval", admin,
             json={"status": "approved", "commission_bps": 300})
    pool = api.token(email, "provider-password-1")
    offering = api.call("POST", f"/providers/{provider['id']}/offerings", pool, json={
        "title": "Ingresso piscina", "category": "wellbeing", "price_cents": 2_000}).json()
    approved = api.call("POST", f"/networks/{network['id']}/providers/{provider['id']}/approval",
                        staff, json={"approved": True})
    assert approved.status_code == 200, approved.text
    agreement = api.call("POST", f"/networks/{network['id']}/agreements", staff,
                         json={"offering_id": offering["id"], "price_cents": 1_500}).json()
    accepted = api.call("POST", f"/providers/{provider['id']}/agreements/{agreement['id']}/"
                        "answer", pool, json={"accept": True})
    assert accepted.status_code == 200, accepted.text

    _until(lambda: (api.call("GET", f"/offerings/{offering['id']}", mario).json()
                    .get("network_offer") or {}).get("price_cents") == 1_500)

    def bought_at_the_agreed_price() -> dict | None:
        r = api.call("POST", "/me/vouchers", mario, key=uuid.uuid4().hex, json={
            "offering_id": offering["id"], "expected_price_cents": 1_500})
        return r.json() if r.status_code == 201 else None  # the wallet's copy may lag

    voucher = _until(bought_at_the_agreed_price)
    assert voucher["amount_cents"] == 1_500 and voucher["list_price_cents"] == 2_000
    year = date.today().year
    for path in (f"/networks/{network['id']}/dashboard",
                 f"/networks/{network['id']}/reports/yearly"):
        answer = api.call("GET", path, staff, params={"year": year})
        assert answer.status_code == 200, (path, answer.text)
    circuit = api.call("GET", f"/networks/{network['slug']}/circuit").json()
    assert circuit["items"][0]["offers"][0]["agreed_price_cents"] == 1_500
    page = requests.get(f"{running.url}/networks/{network['slug']}", timeout=10)
    assert page.status_code == 200 and "Ingresso piscina" in page.text
    audit = api.call("GET", "/ledger/audit", admin).json()
    assert audit["balanced"] and not audit["negative_accounts"], audit
