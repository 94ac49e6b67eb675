"""Two replicas of every Deployment (issue 21.3, 21.4), as processes behind Services
(tests/lifecycle/cluster.py).

A rolling restart under load: careful clients (each request retried with its
Idempotency-Key until it has an answer) grant credit and buy vouchers while each service
and then the gateway is replaced one replica at a time, as a RollingUpdate does (a new
replica started and ready, then an old one sent SIGTERM and waited for). No request fails,
nothing is lost: each wallet holds what the answers said, the ledger balances, every
voucher has exactly one email, nothing is parked, no event waits in a queue or an outbox.

Two replicas of every consumer, many rounds: events published (with confirms) to the
catalog, the wallet and notifications, two replicas of each consuming; every few rounds
one replica of each is replaced while it consumes. Each event is handled once by each of
its consumers: recorded once in their inboxes, one notification and one email (a single
copy) per grant, nothing left in a queue or parked.

The figures are printed: `make test-lifecycle`."""

from __future__ import annotations

import mailbox
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parseaddr
from typing import Any

import eventlet
import pytest
from faults.careful import GRANT, Load, clients, nothing_lost, seed
from lifecycle.cluster import CONSUMERS, DEPLOYMENTS, Cluster, cluster
from sqlalchemy import create_engine, text

ROUNDS = 8  # of events published to two replicas of each consumer
REPLACE_EVERY = 4  # rounds: one replica of each consumer replaced during every fourth
PER_ROUND = 60  # events of each kind a round


@pytest.fixture(scope="module")
def two_replicas(harness: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with cluster(harness, tmp_path_factory.mktemp("lifecycle")) as running:
        yield running


@pytest.mark.slow
@pytest.mark.integration
def test_a_rolling_restart_under_load_fails_no_request(harness, two_replicas, fake) -> None:
    stack = two_replicas
    world = seed(stack, harness, fake)
    for employee in world["employees"]:  # something to buy with from the start
        Load(stack.url).send("grant", employee, f"/plans/{world['plan']}/grants", world["hr"],
                             {"amount_cents": 3 * GRANT, "employee_ids": [employee],
                              "source": "company"})
    load = Load(stack.url)
    workers = clients(load, world)
    figures, started = [], time.monotonic()
    try:
        eventlet.sleep(2)
        for name in DEPLOYMENTS:
            before, failures = len(load.answers), Counter(load.failures)
            roll = stack.deployments[name].roll()
            during = load.answers[before:]
            figures.append((name, roll, len(during), sum(1 for a in during if a.tries > 1),
                            load.failures - failures))
    finally:
        load.running = False
        for worker in workers:
            worker.wait()
    took = time.monotonic() - started

    # served: requests answered while the Deployment was rolled; retried: of those, how
    # many needed more than one try, and what the tries met; ready: each new replica from
    # its start to ready; exit: each old one from SIGTERM to exited (drain 3 s included)
    print(f"\n{'rolled':<15}{'s':>6}{'served':>8}{'retried':>9}  {'ready s':<12}"
          f"{'exit s':<12}tries met")
    for name, roll, served, retried, met in figures:
        print(f"{name:<15}{roll.seconds:>6.0f}{served:>8}{retried:>9}  "
              f"{'/'.join(f'{s:.0f}' for s in roll.ready_s):<12}"
              f"{'/'.join(f'{s:.1f}' for s in roll.exit_s):<12}{dict(met) or '-'}")
    refused = {name: d.service.refused for name, d in stack.deployments.items()}
    summary = nothing_lost(stack, load, world, harness.RABBIT_API, granted_first=3 * GRANT)
    print(f"rolling restart of {len(DEPLOYMENTS)} Deployments × 2 replicas in {took:.0f} s: "
          f"{summary['answered']} requests answered, 0 failed, {summary['retried']} after a "
          f"retry ({dict(load.failures) or 'none'}); {summary['vouchers']} vouchers, one email "
          f"each ({summary['resent']} resent); ledger balanced; connections no ready replica "
          f"took: {refused}")
    assert stack.nothing_waits(harness.RABBIT_API) == {}
    # and no try failed: no 5xx, no connection refused, reset or closed unanswered (a
    # replica killed, or cut off, would leave some, which the clients' retries would hide);
    # only a try that timed out on a loaded machine is let be
    assert set(load.failures) <= {"timeout"}, load.failures


# -- two replicas of every consumer ----------------------------------------------------------
def _round_of_events(stack: Cluster) -> tuple[list[dict[str, Any]], list[str], dict[str, str]]:
    """PER_ROUND `network.member_joined` (the catalog and the wallet consume it) and
    PER_ROUND `credits.granted` to one new recipient each (notifications emails them)."""
    from wecare_common.events import make_envelope

    company = str(uuid.uuid4())
    joined = [make_envelope("network.member_joined", {
        "id": str(uuid.uuid4()), "network_id": str(uuid.uuid4()), "company_id": company,
        "status": "active", "network_name": "Rete", "network_slug": "rete",
        "joined_at": datetime.now(UTC).isoformat()}, producer="benefits", company_id=company)
        for _ in range(PER_ROUND)]
    employees = {str(uuid.uuid4()): "" for _ in range(PER_ROUND)}
    for employee in employees:
        employees[employee] = f"{employee}@lifecycle.test"
    engine = create_engine(stack.database_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO notifications.recipients (key, email, name, language, company_id, "
            "non_essential_email) VALUES (:key, :email, 'Ada', 'it', :company, true)"),
            [{"key": f"employee:{e}", "email": mail, "company": company}
             for e, mail in employees.items()])
    engine.dispose()
    until = date(date.today().year, 12, 31).isoformat()
    granted = [make_envelope("credits.granted", {
        "grant_id": str(uuid.uuid4()), "plan_id": str(uuid.uuid4()), "plan_name": "Welfare",
        "valid_until": until, "source": "company", "amount_cents": 25_000,
        "employee_ids": [employee]}, producer="benefits", company_id=company)
        for employee in employees]
    return joined + granted, [e["id"] for e in joined], {
        g["id"]: employees[g["payload"]["employee_ids"][0]] for g in granted}


def _handled(stack: Cluster, joined: list[str], granted: dict[str, str]) -> dict[str, Counter]:
    """How many times each event was recorded handled, by each consumer: the catalog's and
    the wallet's inboxes (network.member_joined), notifications' rows (credits.granted, one
    recipient each) and the emails that reached the SMTP server (every copy)."""
    engine = create_engine(stack.database_url)
    found: dict[str, Counter] = {}
    with engine.connect() as conn:
        for schema in ("catalog", "wallet"):
            found[schema] = Counter(conn.scalars(text(
                f"SELECT event_id FROM {schema}.inbox WHERE event_id = ANY(:ids)"),
                {"ids": joined}))
        found["notifications"] = Counter(conn.scalars(text(
            "SELECT event_id FROM notifications.notifications WHERE event_id = ANY(:ids)"),
            {"ids": list(granted)}))
    engine.dispose()
    by_address = {address: event for event, address in granted.items()}
    found["emails"] = Counter()
    if stack.mail.exists():
        for message in mailbox.Maildir(stack.mail, factory=None, create=False):
            event = by_address.get(parseaddr(str(message["To"]))[1])
            if event is not None:
                found["emails"][event] += 1
    return found


@pytest.mark.slow
@pytest.mark.integration
def test_two_replicas_of_every_consumer_handle_each_event_once(harness, two_replicas) -> None:
    stack = two_replicas
    consumers = [stack.deployments[name] for name in CONSUMERS]
    figures = []
    for n in range(1, ROUNDS + 1):
        replacing = n % REPLACE_EVERY == 0
        started = time.monotonic()
        if replacing:  # one more replica of each, ready before the events come
            news = [(d, d.replicas[0], d.start(d.replicas[0].code)) for d in consumers]
            for deployment, _, new in news:
                deployment.wait_ready(new)
        envelopes, joined, granted = _round_of_events(stack)
        harness.publish_confirmed(stack.amqp_uri, envelopes)
        if replacing:  # and the oldest told to stop while it consumes them
            stops = [eventlet.spawn(d.delete, old) for d, old, _ in news]
            for stop in stops:
                stop.wait()
        deadline = time.monotonic() + 180
        while True:
            found = _handled(stack, joined, granted)
            complete = (all(len(found[s]) == len(joined) for s in ("catalog", "wallet"))
                        and all(len(found[s]) == len(granted)
                                for s in ("notifications", "emails")))
            if complete or time.monotonic() > deadline:
                break
            eventlet.sleep(0.5)
        eventlet.sleep(1)  # a second handling would come now
        found = _handled(stack, joined, granted)
        for consumer, events in (("catalog", joined), ("wallet", joined),
                                 ("notifications", list(granted)), ("emails", list(granted))):
            wrong = {e: found[consumer][e] for e in events if found[consumer][e] != 1}
            assert wrong == {}, f"round {n}, {consumer}: events not handled once: {wrong}"
        figures.append((n, replacing, time.monotonic() - started))
    assert stack.nothing_waits(harness.RABBIT_API) == {}
    replaced = sum(1 for _, r, _ in figures if r)
    print(f"\n{ROUNDS} rounds of {PER_ROUND} network.member_joined (catalog, wallet) and "
          f"{PER_ROUND} credits.granted (notifications) to two replicas of each, one replica "
          f"of each replaced while consuming in {replaced} of them: "
          f"{ROUNDS * PER_ROUND * 3} handlings, each event handled once by each consumer, "
          f"one email each; rounds took "
          + ", ".join(f"{s:.0f}{'*' if r else ''}" for _, r, s in figures) + " s (* replaced)")
