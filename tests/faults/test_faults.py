"""Nothing lost when parts die (issue 13): careful clients grant credit and buy vouchers
while, one after another, RabbitMQ is stopped for 5 s and started again (a node of the
test's own, tests/faults/broker.py) and the wallet, benefits, notifications and the
gateway are killed with SIGKILL (the supervisor starts them again, as under `make run`).
Each client retries a request with its Idempotency-Key until it gets an answer.
Afterwards: every request has an answer and none is a 5xx, each wallet holds what the
answers said (granted − bought), the ledger balances, every voucher has exactly one
email and the dead-letter queue is empty. The figures (requests served during each
fault, seconds until healthy again, requests that needed a retry) are printed:
`make test-faults`."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlparse

import eventlet
import pytest
import requests
from faults.broker import OwnBroker

GIVE_UP = 120.0  # a request without an answer this long fails the test
HEALTHY_WITHIN = 90.0
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
            except requests.RequestException:
                eventlet.sleep(0.3)
                continue
            in_progress = r.status_code == 409 and "in progress" in r.text
            if r.status_code < 500 and not in_progress:
                self.answers.append(Answer(kind, employee, r.status_code, r.json(), tries,
                                           time.monotonic()))
                return
            eventlet.sleep(0.3)
        self.unanswered.append(f"{kind} for {employee} (key {key})")


def _rabbit(api: str, verb: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(verb, f"{api}/api{path}", timeout=10, **kwargs)


def _vhost(stack: Any) -> str:
    return urlparse(stack.amqp_uri).path.lstrip("/")


def _connections(api: str, vhost: str) -> list[str]:
    r = _rabbit(api, "GET", f"/vhosts/{quote(vhost, safe='')}/connections")
    return [c["name"] for c in r.json()] if r.ok else []


def broker_stopped(node: OwnBroker, seconds: float = 5.0) -> None:
    """The test's own RabbitMQ node stopped (its Erlang VM exits: every connection
    drops, nothing answers on its port) for `seconds`, then started again from its
    data directory; returns once it and its management API answer."""
    node.stop()
    eventlet.sleep(seconds)
    node.start()


def broker_away(api: str, stack: Any, seconds: float = 5.0) -> None:
    """Where RabbitMQ's scripts are not installed: the shared broker gone for this stack
    only (its user may not open the vhost, every connection to it is closed) for
    `seconds`; then it is back."""
    vhost = quote(_vhost(stack), safe="")
    _rabbit(api, "DELETE", f"/permissions/{vhost}/guest")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name in _connections(api, _vhost(stack)):
            _rabbit(api, "DELETE", f"/connections/{quote(name, safe='')}")
        eventlet.sleep(0.5)
    _rabbit(api, "PUT", f"/permissions/{vhost}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()


def kill(stack: Any, name: str) -> None:
    os.kill(stack.supervisor.child(name).process.pid, signal.SIGKILL)


def consumer_queues() -> list[str]:
    from benefits.service import BenefitsService
    from catalog.service import CatalogService
    from notifications.service import NotificationsService
    from wallet.service import WalletService
    from wecare_common.topology import consumer_queues_of

    return [q.name for cls in (CatalogService, BenefitsService, WalletService,
                               NotificationsService) for q in consumer_queues_of(cls)]


def _consumed(api: str, stack: Any, queues: list[str]) -> bool:
    """Every service's event queue has its consumer (RabbitMQ's figures lag by up to
    its statistics interval, 5 s by default)."""
    r = _rabbit(api, "GET", f"/queues/{quote(_vhost(stack), safe='')}")
    if not r.ok:
        return False
    consumers = {q["name"]: q.get("consumers", 0) for q in r.json()}
    return all(consumers.get(name, 0) >= 1 for name in queues)


def wait_healthy(stack: Any, api: str, queues: list[str]) -> float:
    """Seconds from now until the gateway's /health is 200 (every service answers) and
    every event queue has its consumer again."""
    started = time.monotonic()
    while time.monotonic() - started < HEALTHY_WITHIN:
        try:
            ok = (requests.get(f"{stack.url}/health", timeout=3).status_code == 200
                  and _consumed(api, stack, queues))
        except requests.RequestException:
            ok = False
        if ok:
            return time.monotonic() - started
        eventlet.sleep(0.2)
    raise AssertionError(f"not healthy within {HEALTHY_WITHIN:.0f} s; see {stack.logs}")


def events_flow(stack: Any, load: Load, world: dict[str, Any]) -> float:
    """Seconds from now until an event goes round again: a voucher bought now (by a
    careful client, counted with the others) has its email."""
    started = time.monotonic()
    employee, token = next(iter(world["employees"].items()))
    before = len(load.answers)
    load.send("purchase", employee, "/me/vouchers", token, {"offering_id": world["offering"]})
    bought = next((a for a in load.answers[before:] if a.kind == "purchase"
                   and a.employee == employee and a.status == 201), None)
    if bought is None:
        return time.monotonic() - started  # no credit left: nothing to wait for
    while time.monotonic() - started < HEALTHY_WITHIN:
        if _mails_by_code(stack, [bought.body["code"]]):
            return time.monotonic() - started
        eventlet.sleep(0.2)
    raise AssertionError(f"no event went round within {HEALTHY_WITHIN:.0f} s")


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
    applied = api("POST", "/providers/enrolment", admin, name="Asilo Guasti",
        vat_number=fake.vat_number(),
        categories=["education"],
        address="Via Po 1, Torino", lat=45.07, lon=7.69, iban="IT60X0542811101000000123456",
        **provider)
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


def _mails_by_code(stack: Any, codes: list[str], *, copies: bool = False) -> Counter:
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


@pytest.mark.slow
@pytest.mark.integration
def test_nothing_is_lost_when_parts_die(harness, own_broker, supervised, fake) -> None:
    stack = supervised
    api = own_broker.api_uri if own_broker else harness.RABBIT_API
    world = seed(stack, harness, fake)
    for employee in world["employees"]:  # something to buy with from the start
        Load(stack.url).send("grant", employee, f"/plans/{world['plan']}/grants", world["hr"],
                             {"amount_cents": 3 * GRANT, "employee_ids": [employee],
                              "source": "company"})
    queues = consumer_queues()
    load = Load(stack.url)
    load.answers.clear()
    workers = clients(load, world)

    def broker_fault() -> None:
        if own_broker:
            broker_stopped(own_broker)
        else:
            broker_away(api, stack)

    faults = [("RabbitMQ stopped 5 s" if own_broker else "RabbitMQ away 5 s (simulated)",
               broker_fault),
              ("kill -9 wallet", lambda: kill(stack, "wallet")),
              ("kill -9 benefits", lambda: kill(stack, "benefits")),
              ("kill -9 notifications", lambda: kill(stack, "notifications")),
              ("kill -9 gateway", lambda: kill(stack, "gateway"))]
    figures = []
    try:
        eventlet.sleep(2)
        for name, fault in faults:
            before, started = len(load.answers), time.monotonic()
            fault()
            healthy = wait_healthy(stack, api, queues)
            if name.startswith("RabbitMQ"):  # RabbitMQ's consumer figures lag: a round trip
                healthy = max(healthy, events_flow(stack, load, world))
            eventlet.sleep(1.5)  # and under load a moment, before the next
            during = [a for a in load.answers[before:] if a.at <= time.monotonic()]
            figures.append((name, len(during), time.monotonic() - started - 1.5, healthy,
                            sum(1 for a in during if a.tries > 1)))
    finally:
        load.running = False
        for worker in workers:
            worker.wait()

    # served: requests answered from the fault until healthy again (and 1.5 s more);
    # window: those seconds; healthy in: from the part's return (the broker back, or the
    # kill: the supervisor restarts at once) until every service answers (/health) and
    # every event queue has its consumer (RabbitMQ's figure lags up to 5 s; after the
    # broker's return, until a voucher bought then has its email); retried:
    # of those served, how many needed more than one try
    print(f"\n{'fault':<24}{'served':>8}{'window s':>10}{'healthy in s':>14}{'retried':>9}")
    for name, served, window, healthy, retried in figures:
        print(f"{name:<24}{served:>8}{window:>10.1f}{healthy:>14.1f}{retried:>9}")

    assert not load.unanswered, load.unanswered
    assert all(a.status < 500 for a in load.answers)
    # each wallet holds what the answers said: granted − bought
    owed: dict[str, int] = defaultdict(lambda: 3 * GRANT)
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
    # every voucher gets exactly one email (one message: its copies, if any, share its Message-ID)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        mails = _mails_by_code(stack, codes)
        if all(mails[code] >= 1 for code in codes):
            break
        eventlet.sleep(1)
    eventlet.sleep(2)  # a duplicate would come now
    mails = _mails_by_code(stack, codes)
    assert {code: mails[code] for code in codes if mails[code] != 1} == {}
    # sending is at least once: a notifications process killed after the SMTP server took
    # an email and before it was marked sent sends it again, as the same message
    resent = sum(_mails_by_code(stack, codes, copies=True).values()) - len(codes)
    # and nothing waits in the dead-letter queue
    parked = _rabbit(api, "GET", f"/queues/{quote(_vhost(stack), safe='')}/wecare.dead-letter")
    assert parked.ok and parked.json().get("messages", 0) == 0, parked.text
    print(f"{len(load.answers)} requests answered ({len(codes)} vouchers, "
          f"{sum(1 for a in load.answers if a.kind == 'grant' and a.status == 201)} grants), "
          f"{sum(1 for a in load.answers if a.tries > 1)} after a retry; ledger balanced; "
          f"one email per voucher ({resent} resent as the same message after a kill); "
          "dead-letter queue empty")
