"""Issue 22's metrics: every process of a running WeCare is scraped before and after a
purchase, a grant, a refused sign-in and a parked event, and the metrics that should
move did; each serves them on its own port, and the public gateway does not serve them.
The queue depths and the dead-letter count are the broker's own (rabbitmq_prometheus)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import date

import pytest
import requests
from kombu import Connection, Exchange
from prometheus_client.parser import text_string_to_metric_families
from support import harness as harness_module

# a stack of processes (the fixture `observed`): never `make test-unit`
pytestmark = pytest.mark.integration

Samples = dict[tuple[str, frozenset], float]


def scrape(url: str) -> Samples:
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, f"{url}: {r.status_code}"
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers["Content-Type"]
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not move within {timeout:g} s"
        time.sleep(0.3)


def vat(n: int) -> str:
    from stdnum import luhn

    base = f"{n:07d}001"
    return base + luhn.calc_check_digit(base)


def test_every_process_serves_metrics_that_move(observed) -> None:  # type: ignore[no-untyped-def]
    s = observed.stack
    api = s.api
    assert set(s.metrics) == {"gateway", "catalog", "benefits", "wallet", "notifications",
                              "web"}
    before = {name: scrape(url) for name, url in s.metrics.items()}

    # the public door does not serve them: /metrics is a page path, the web app's 404
    public = requests.get(f"{s.url}/metrics", timeout=10)
    assert public.status_code == 404 and "wecare_" not in public.text

    # a provider, a company with an employee, a grant, a purchase
    admin = api.token(*harness_module.load().ADMIN)
    n = uuid.uuid4().int % 9_000_000 + 1_000_000
    company = api("POST", "/companies", admin, name="Osservata", vat_number=vat(n),
                  hr_manager={"email": f"hr{n}@observe.test", "first_name": "H",
                              "last_name": "R", "password": "observe-hr-password"})
    hr = api.token(f"hr{n}@observe.test", "observe-hr-password")
    from stdnum.it import codicefiscale

    base = f"OBSMRA80A{n % 28 + 1:02d}L219"
    employee = api("POST", f"/companies/{company['id']}/employees", hr,
                   email=f"e{n}@observe.test", first_name="E", last_name="O",
                   password="observe-employee-pw", fiscal_code=base +
                   codicefiscale.calc_check_digit(base))
    topup = api("POST", f"/companies/{company['id']}/topups", hr, key=uuid.uuid4().hex,
                amount_cents=50_000, method="bank_transfer")
    api("POST", f"/topups/{topup['id']}/confirmation", admin)
    year = date.today().year
    plan = api("POST", f"/companies/{company['id']}/plans", hr, name="Welfare",
               fiscal_year=year, valid_from=f"{year}-01-01", valid_until=f"{year}-12-31",
               categories=["education"], leftover_policy="return_to_fund")
    api("POST", f"/plans/{plan['id']}/grants", hr, key=uuid.uuid4().hex,
        amount_cents=20_000, employee_ids=[employee["id"]])
    provider = api("POST", "/providers/enrolment", admin, name="Nido Osservato",
                   vat_number=vat(n + 1),
                   categories=["education"], address="Torino", lat=45.0, lon=7.6,
                   email=f"p{n}@observe.test", password="observe-provider-pw",
                   iban="IT60X0542811101000000123456")
    api("POST", f"/providers/{provider['id']}/approval", admin, status="approved",
        commission_bps=200)
    offering = api("POST", f"/providers/{provider['id']}/offerings",
                   api.token(f"p{n}@observe.test", "observe-provider-pw"), title="Retta",
                   category="education", price_cents=1_000)
    employee_token = api.token(f"e{n}@observe.test", "observe-employee-pw")
    deadline = time.monotonic() + 30
    while True:  # the grant reaches the wallet as an event
        try:
            api("POST", "/me/vouchers", employee_token, key=uuid.uuid4().hex,
                offering_id=offering["id"])
            break
        except RuntimeError:
            assert time.monotonic() < deadline, "the purchase never went through"
            time.sleep(0.3)
    # a refused sign-in
    refused = requests.post(f"{s.url}/api/v1/auth/token", timeout=10, json={
        "email": f"e{n}@observe.test", "password": "not-the-password"})
    assert refused.status_code == 401
    # a page, through the gateway to the web app
    assert requests.get(f"{s.url}/", timeout=10).status_code == 200
    # an event no consumer can read: parked at once
    with Connection(s.amqp_uri) as conn:
        conn.Producer().publish(json.dumps({"id": "not-a-uuid"}),
                                exchange=Exchange("wecare.events", type="topic"),
                                routing_key="voucher.issued", type="voucher.issued",
                                content_type="application/json", delivery_mode=2)

    def after(name: str) -> Samples:
        return scrape(s.metrics[name])

    def moved(name: str, metric: str, by: float = 1, **labels: str) -> bool:
        return value(after(name), metric, **labels) >= value(before[name], metric,
                                                             **labels) + by

    # the gateway: requests by route template, the call to the wallet, the refused sign-in
    assert moved("gateway", "wecare_http_server_requests_total",
                 route="/api/v1/me/vouchers", method="POST", status="201")
    assert moved("gateway", "wecare_http_server_request_duration_seconds_count",
                 route="/api/v1/me/vouchers", method="POST")
    assert moved("gateway", "wecare_rpc_client_calls_total", target="wallet",
                 method="purchase_voucher", transport="http", outcome="ok")
    assert moved("gateway", "wecare_signins_failed_total", reason="wrong_credentials")
    assert moved("gateway", "wecare_http_server_requests_total",
                 route="/api/v1/auth/token", status="401")
    # the web app: the page it served
    assert moved("web", "wecare_http_server_requests_total", route="/", method="GET",
                 status="200")
    # the wallet: the voucher, the grant's credit, what it published, its HTTP RPC
    assert moved("wallet", "wecare_vouchers_issued_total", category="education")
    assert moved("wallet", "wecare_credit_granted_cents_total", by=20_000)
    assert moved("wallet", "wecare_topups_total", method="bank_transfer", state="succeeded")
    assert moved("wallet", "wecare_http_server_requests_total",
                 route="/rpc/purchase_voucher", status="200")
    wait_for(lambda: moved("wallet", "wecare_events_published_total",
                           event_type="voucher.issued"), "wallet's published voucher.issued")
    # the wallet's consumers (the plan, the employee and the offering it was told of)
    wait_for(lambda: moved("wallet", "wecare_inbox_handled_total", by=3), "wallet's inbox")
    wait_for(lambda: moved("wallet", "wecare_events_consumed_total", event_type="plan.created"),
             "wallet's consumed plan.created")
    wallet = after("wallet")
    assert value(wallet, "wecare_ledger_audit_balanced") == 1
    assert value(wallet, "wecare_ledger_audit_last_run_timestamp_seconds") > 0
    assert ("wecare_outbox_oldest_unsent_age_seconds", frozenset({("service", "wallet")})) \
        in wallet
    # benefits: the grant it recorded and published, its call to the wallet
    wait_for(lambda: moved("benefits", "wecare_events_published_total",
                           event_type="credits.granted"), "benefits' published credits.granted")
    # catalog: the offering it published
    wait_for(lambda: moved("catalog", "wecare_events_published_total",
                           event_type="offering.published"), "catalog's published offering")
    # notifications: the events it handled, the emails, the one it parked
    wait_for(lambda: moved("notifications", "wecare_events_consumed_total",
                           event_type="voucher.issued"), "notifications' consumed")
    wait_for(lambda: moved("notifications", "wecare_emails_total", outcome="sent"),
             "notifications' emails")
    wait_for(lambda: moved("notifications", "wecare_events_parked_total",
                           event_type="invalid"), "notifications' parked")
    # the broker's own figures: the parked message in wecare.dead-letter, each queue's depth
    if observed.broker_metrics is None:
        print("RabbitMQ's scripts are not installed here: the broker's metrics not checked")
        return

    def parked_in_queue() -> bool:
        found = scrape(observed.broker_metrics)
        return value(found, "rabbitmq_detailed_queue_messages", queue="wecare.dead-letter") >= 1

    # (the plugin's figures refresh every few seconds)
    wait_for(parked_in_queue, "the broker's dead-letter count", timeout=60)
    queues = {dict(ls).get("queue") for (name, ls) in scrape(observed.broker_metrics)
              if name == "rabbitmq_detailed_queue_messages"}
    assert "notifications.on_voucher_issued" in queues or any(
        q and q.startswith("notifications.") for q in queues), queues
