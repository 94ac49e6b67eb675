"""Careful clients and what they leave to check (the fault tests' and the lifecycle tests'):
an HR client granting credit and employees buying vouchers, each request retried with its
Idempotency-Key until it has an answer; afterwards, each wallet holds what the answers said,
the ledger balances, every voucher has exactly one email and nothing is parked.

`stack` is anything with the harness Stack's `url`, `api`, `mail` and `amqp_uri`."""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlparse

import eventlet
import requests

GIVE_UP = 120.0  # a request without an answer this long fails the test
PRICE, GRANT, EMPLOYEES = 500, 1_000, 3


@dataclass
class Answer:
    kind: str  # grant | purchase
    employee: str
    status: int
    body: dict[str, Any]
    tries: int
    at: float  # when it was answered (monotonic)


@dataclass
class Load:
    url: str
    answers: list[Answer] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    # what a try met before its answer: "connection" (refused, reset, closed), "timeout"
    # (no answer in 15 s), or the status it was retried on (5xx, 409 in progress)
    failures: Counter = field(default_factory=Counter)
    running: bool = True

    def send(self, kind: str, employee: str, path: str, token: str,
             body: dict[str, Any]) -> None:
        """One request, retried with its key until it has an answer (not a 5xx, not the
        gateway's "still in progress", not a broken connection)."""
        key, tries, deadline = uuid.uuid4().hex, 0, time.monotonic() + GIVE_UP
        http = requests.Session()
        while time.monotonic() < deadline:
            tries += 1
            try:
                r = http.post(f"{self.url}/api/v1{path}", json=body, timeout=15,
                              headers={"Authorization": f"Bearer {token}",
                                       "Idempotency-Key": key})
            except requests.Timeout:  # no answer in 15 s: a loaded machine, or worse
                self.failures["timeout"] += 1
                eventlet.sleep(0.3)
                continue
            except requests.RequestException:  # refused, reset, closed without an answer
                self.failures["connection"] += 1
                eventlet.sleep(0.3)
                continue
            in_progress = r.status_code == 409 and "in progress" in r.text
            if r.status_code < 500 and not in_progress:
                self.answers.append(Answer(kind, employee, r.status_code, r.json(), tries,
                                           time.monotonic()))
                return
            self.failures[str(r.status_code)] += 1
            eventlet.sleep(0.3)
        self.unanswered.append(f"{kind} for {employee} (key {key})")


def seed(stack: Any, harness: Any, fake: Any) -> dict[str, Any]:
    api = stack.api
    admin = api.token(*harness.ADMIN)
    hr = {"email": f"hr.{uuid.uuid4().hex[:8]}@faults.test", "password": "hr-password-123"}
    company = api("POST", "/companies", admin, name="Guasti S.r.l.",
                  vat_number=fake.vat_number(),
                  hr_manager={**hr, "first_name": "Giulia", "last_name": "Neri"})
    hr_token = api.token(hr["email"], hr["password"])
    topup = api("POST", f"/companies/{company['id']}/topups", hr_token, key=uuid.uuid4().hex,
                amount_cents=10_000_000, method="bank_transfer")
    api("POST", f"/topups/{topup['id']}/confirmation", admin)
    today = date.today()
    plan = api("POST", f"/companies/{company['id']}/plans", hr_token, name="Welfare",
               fiscal_year=today.year, valid_from=(today - timedelta(days=5)).isoformat(),
               valid_until=(today + timedelta(days=60)).isoformat(), categories=["education"],
               leftover_policy="return_to_fund")
    employees = {}
    for n in range(EMPLOYEES):
        email = f"e{n}.{uuid.uuid4().hex[:8]}@faults.test"
        employee = api("POST", f"/companies/{company['id']}/employees", hr_token,
                       email=email, first_name="Mario", last_name=f"Rossi{n}",
                       fiscal_code=fake.fiscal_code(), password="employee-password-1")
        employees[employee["id"]] = api.token(email, "employee-password-1")
    provider = {"email": f"p.{uuid.uuid4().hex[:8]}@faults.test", "password": "provider-pw-1"}
    details = {"name": "Asilo Guasti", "vat_number": fake.vat_number(),
               "categories": ["education"], "address": "Via Po 1, Torino", "lat": 45.07,
               "lon": 7.69, "iban": "IT60X0542811101000000123456", **provider}
    try:
        applied = api("POST", "/providers/enrolment", admin, **details)
    except RuntimeError as exc:  # a version before operators enrolled providers (an
        if ": 404 " not in str(exc):  # upgrade's previous one): its public application
            raise
        applied = api("POST", "/providers", **details)
    api("POST", f"/providers/{applied['id']}/approval", admin, status="approved",
        commission_bps=300)
    offering = api("POST", f"/providers/{applied['id']}/offerings",
                   api.token(provider["email"], provider["password"]), title="Retta",
                   category="education", price_cents=PRICE)
    return {"admin": admin, "hr": hr_token, "plan": plan["id"], "employees": employees,
            "offering": offering["id"]}


def clients(load: Load, world: dict[str, Any]) -> list[Any]:
    """One HR client granting in turn to each employee, and each employee buying."""
    def granting() -> None:
        n = 0
        while load.running:
            employee = list(world["employees"])[n % EMPLOYEES]
            load.send("grant", employee, f"/plans/{world['plan']}/grants", world["hr"],
                      {"amount_cents": GRANT, "employee_ids": [employee],
                       "source": "company"})
            n += 1
            eventlet.sleep(0.2)

    def buying(employee: str, token: str) -> None:
        while load.running:
            load.send("purchase", employee, "/me/vouchers", token,
                      {"offering_id": world["offering"]})
            eventlet.sleep(0.3)

    return [eventlet.spawn(granting)] + [eventlet.spawn(buying, e, t)
                                         for e, t in world["employees"].items()]


def mails_by_code(stack: Any, codes: list[str], *, copies: bool = False) -> Counter:
    """How many messages name each code: distinct messages (Message-IDs), or with
    copies=True every copy received (a resend after a crash carries its message's id)."""
    import email
    import email.policy
    import mailbox

    found: Counter = Counter()
    if not stack.mail.exists():
        return found
    box = mailbox.Maildir(stack.mail, create=False, factory=lambda f: (
        email.message_from_binary_file(f, policy=email.policy.default)))
    wanted, seen = set(codes), set()
    for message in box:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body else ""
        for code in wanted:
            if code in text and (copies or (code, message["Message-ID"]) not in seen):
                seen.add((code, message["Message-ID"]))
                found[code] += 1
    return found




def rabbit(api: str, verb: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(verb, f"{api}/api{path}", timeout=10, **kwargs)


def vhost_of(stack: Any) -> str:
    return urlparse(stack.amqp_uri).path.lstrip("/")


def nothing_lost(stack: Any, load: Load, world: dict[str, Any], api: str,
                 granted_first: int = 0) -> dict[str, int]:
    """What every careful-client test asserts once its load has stopped: every request
    has an answer and none is a 5xx, each wallet holds what the answers said (granted −
    bought, after `granted_first` each), the ledger balances, every voucher has exactly
    one email, nothing is parked. Returns the counts to print."""
    assert not load.unanswered, load.unanswered
    assert all(a.status < 500 for a in load.answers)
    owed: dict[str, int] = defaultdict(lambda: granted_first)
    codes = []
    for a in load.answers:
        if a.kind == "grant" and a.status == 201:
            owed[a.employee] += a.body["total_cents"]
        elif a.kind == "purchase" and a.status == 201:
            owed[a.employee] -= a.body["amount_cents"]
            codes.append(a.body["code"])
    refused = Counter((a.kind, a.status) for a in load.answers if a.status != 201)
    assert set(refused) <= {("purchase", 422)}, refused  # at most "insufficient credit"
    assert codes, "nothing was bought"
    for employee, token in world["employees"].items():
        wallet = stack.api("GET", "/me/wallet", token)
        assert wallet["total_cents"] == owed[employee], employee
    audit = stack.api("GET", "/ledger/audit", world["admin"])
    assert audit["balanced"] and not audit["negative_accounts"], audit
    # every voucher gets exactly one email (one message: its copies, if any, share its
    # Message-ID)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        mails = mails_by_code(stack, codes)
        if all(mails[code] >= 1 for code in codes):
            break
        eventlet.sleep(1)
    eventlet.sleep(2)  # a duplicate would come now
    mails = mails_by_code(stack, codes)
    assert {code: mails[code] for code in codes if mails[code] != 1} == {}
    # sending is at least once: a notifications process killed after the SMTP server took
    # an email and before it was marked sent sends it again, as the same message
    resent = sum(mails_by_code(stack, codes, copies=True).values()) - len(codes)
    # and nothing waits in the dead-letter queue
    parked = rabbit(api, "GET", f"/queues/{quote(vhost_of(stack), safe='')}/wecare.dead-letter")
    assert parked.ok and parked.json().get("messages", 0) == 0, parked.text
    return {"answered": len(load.answers), "vouchers": len(codes),
            "grants": sum(1 for a in load.answers if a.kind == "grant" and a.status == 201),
            "retried": sum(1 for a in load.answers if a.tries > 1), "resent": resent}
