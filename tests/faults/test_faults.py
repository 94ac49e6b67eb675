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
from typing import Any
from urllib.parse import quote

import eventlet
import pytest
import requests
from faults.broker import OwnBroker
from faults.careful import GRANT, Load, clients, mails_by_code, nothing_lost, seed
from faults.careful import rabbit as _rabbit
from faults.careful import vhost_of as _vhost

HEALTHY_WITHIN = 90.0


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
        if mails_by_code(stack, [bought.body["code"]]):
            return time.monotonic() - started
        eventlet.sleep(0.2)
    raise AssertionError(f"no event went round within {HEALTHY_WITHIN:.0f} s")



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

    figures_of = nothing_lost(stack, load, world, api, granted_first=3 * GRANT)
    print(f"{figures_of['answered']} requests answered ({figures_of['vouchers']} vouchers, "
          f"{figures_of['grants']} grants), {figures_of['retried']} after a retry; ledger "
          f"balanced; one email per voucher ({figures_of['resent']} resent as the same message "
          "after a kill); dead-letter queue empty")
